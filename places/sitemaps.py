"""sitemap.xml: every public page, in French and English (hreflang alternates)."""

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from places.models import Department, Partner, PartnershipKind, Place, Region


class I18nSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True


class PlaceSitemap(I18nSitemap):
    changefreq = "monthly"

    def items(self):
        return Place.objects.published().only("slug", "updated_at").order_by("pk")

    def lastmod(self, place):
        return place.updated_at


class TerritorySitemap(I18nSitemap):
    changefreq = "weekly"

    def items(self):
        return [*Region.objects.order_by("code"), *Department.objects.order_by("code")]


class PartnerSitemap(I18nSitemap):
    def items(self):
        return Partner.objects.order_by("slug")


class PageSitemap(I18nSitemap):
    def items(self):
        pages = ["places:home", "places:list", "places:partners", "places:map", "places:about"]
        return pages + [f"kind:{kind.value}" for kind in PartnershipKind]

    def location(self, item):
        if item.startswith("kind:"):
            return reverse("places:kind", kwargs={"kind": item.removeprefix("kind:")})
        return reverse(item)


SITEMAPS = {
    "pages": PageSitemap,
    "territories": TerritorySitemap,
    "partners": PartnerSitemap,
    "places": PlaceSitemap,
}
