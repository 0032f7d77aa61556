from django.urls import path

from places import views

app_name = "places"
urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("lieux/", views.PlaceListView.as_view(), name="list"),
    path("lieux/<slug:slug>/", views.PlaceDetailView.as_view(), name="detail"),
]
