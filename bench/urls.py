"""The directory's URLs, plus the peer of the benchmark: the places in a stock ``ModelAdmin``
(``search_fields``, the Django way to search a list), on an admin site of its own at
/bench-admin/, registered for the benchmark only."""

from django.contrib import admin
from django.urls import path

from places.models import Place
from tierslieux.urls import urlpatterns as directory_urlpatterns

stock = admin.AdminSite(name="stock_admin")


@admin.register(Place, site=stock)
class StockPlaceAdmin(admin.ModelAdmin):
    list_display = ["name", "commune", "department", "status", "updated_at"]
    list_select_related = ["department"]
    search_fields = ["name", "commune", "postcode"]
    list_per_page = 50


urlpatterns = [path("bench-admin/", stock.urls), *directory_urlpatterns]
