from django.urls import path

from contributions import views

app_name = "contributions"
urlpatterns = [
    path("contribuer/", views.ProposePlaceView.as_view(), name="propose"),
    path("contribuer/merci/", views.ThanksView.as_view(), name="thanks"),
    path("lieux/<slug:slug>/corriger/", views.CorrectionView.as_view(), name="correct"),
    path("lieux/<slug:slug>/partenariat/", views.PartnershipView.as_view(), name="partnership"),
    path("lieux/<slug:slug>/signaler/", views.ClosureView.as_view(), name="closure"),
]
