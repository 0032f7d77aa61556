from django.urls import path

from opendata import views

app_name = "opendata"
urlpatterns = [
    path("lieux.csv", views.places_csv, name="csv"),
    path("lieux.json", views.places_json, name="json"),
    path(
        "donnees/mediation-numerique.csv",
        views.mediation_numerique_csv,
        name="mediation-numerique",
    ),
]
