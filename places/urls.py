from django.urls import path

from places import views

app_name = "places"
urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("lieux/", views.PlaceListView.as_view(), name="list"),
    path("lieux.geojson", views.places_geojson, name="geojson"),
    path("lieux/<slug:slug>/", views.PlaceDetailView.as_view(), name="detail"),
    path("lieux/<slug:slug>/agenda.ics", views.place_agenda, name="place_agenda"),
    path("agenda.ics", views.directory_agenda, name="agenda"),
    path("regions/<slug:slug>/", views.RegionView.as_view(), name="region"),
    path("departements/<str:code>/", views.DepartmentView.as_view(), name="department"),
    path("partenaires/", views.PartnerListView.as_view(), name="partners"),
    path("partenaires/<slug:slug>/", views.PartnerDetailView.as_view(), name="partner"),
    path("partenariats/<slug:kind>/", views.PartnershipKindView.as_view(), name="kind"),
    path("carte/", views.MapView.as_view(), name="map"),
    path("carte/points.json", views.map_points, name="map_points"),
    path("tig/", views.TigHostsView.as_view(), name="tig"),
    path("espaces/", views.SpaceFinderView.as_view(), name="spaces"),
    path("statistiques/", views.StatisticsView.as_view(), name="statistics"),
    path("statistiques/<slug:table>.csv", views.statistics_csv, name="statistics_csv"),
    path("statistiques/<str:scope>/", views.StatisticsView.as_view(), name="statistics_scope"),
    path(
        "statistiques/<str:scope>/<slug:table>.csv",
        views.statistics_csv,
        name="statistics_scope_csv",
    ),
    path("a-propos/", views.AboutView.as_view(), name="about"),
    path("communes.json", views.communes_json, name="communes"),
]
