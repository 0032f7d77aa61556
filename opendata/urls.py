from django.urls import path

from opendata import embed, views

app_name = "opendata"
urlpatterns = [
    path("donnees/", views.DataView.as_view(), name="data"),
    path("integrer/", embed.IntegrateView.as_view(), name="integrate"),
    path("embed/lieux/", embed.EmbeddedListView.as_view(), name="embed"),
    path("lieux.csv", views.places_csv, name="csv"),
    path("lieux.json", views.places_json, name="json"),
    path(
        "donnees/data-inclusion/structures.json",
        views.inclusion_structures_json,
        name="data-inclusion-structures",
    ),
    path(
        "donnees/data-inclusion/services.json",
        views.inclusion_services_json,
        name="data-inclusion-services",
    ),
    path(
        "donnees/mediation-numerique.csv",
        views.mediation_numerique_csv,
        name="mediation-numerique",
    ),
]
