"""The sitemap: ``/sitemap.xml`` is an index of paginated sitemaps, every public page in French
and English (hreflang alternates). Places are served ``PLACES_PER_PAGE`` a page (each gives one
URL per language, with its alternates), fetched one page at a time: Django's own i18n sitemap
builds the list of every place for every page, which at 100,000 places took seconds."""

import math
from collections.abc import Sequence
from functools import cached_property

from django.conf import settings
from django.contrib.sitemaps import Sitemap
from django.core.paginator import Paginator
from django.db.models import Max
from django.urls import reverse
from django.utils import translation

from places import cache
from places.models import Department, Partner, PartnershipKind, Place, Region

# Each place gives one URL per language: 300 places a page are 600 URLs (the protocol allows
# 50,000). Rendering is most of a page's cost: 500 places a page took up to 290 ms uncached at
# 100,000 places.
PLACES_PER_PAGE = 300


class I18nSitemap(Sitemap):
    i18n = True
    alternates = True
    x_default = True


class LanguagePairs(Sequence):
    """(item, language) for every row of ``queryset`` (ordered by id) and every language, as
    Django's i18n sitemap pages them, but read from the database one page at a time."""

    def __init__(self, queryset, languages: list[str]):
        self.queryset, self.languages = queryset, languages

    def count(self) -> int:
        return self.queryset.count() * len(self.languages)

    def __len__(self):
        return self.count()

    @cached_property
    def page_starts(self) -> list[int]:
        """The first id of each page of places (ordered by id), kept per data version: a page
        then reads its places from an index from its first id on, where an OFFSET walked past
        every place of the pages before it (100 ms and more for late pages at 100,000)."""
        return cache.get_or_compute(
            "sitemap-pages",
            cache.data_version(),
            (PLACES_PER_PAGE,),
            lambda: list(self.queryset.values_list("pk", flat=True))[::PLACES_PER_PAGE],
        )

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        n = len(self.languages)
        start, stop = index.start or 0, index.stop
        first, last = start // n, math.ceil(stop / n) if stop is not None else None
        page, offset = divmod(first, PLACES_PER_PAGE)
        if offset == 0 and page < len(self.page_starts):  # a whole page: from its first id
            rows = self.queryset.filter(pk__gte=self.page_starts[page])
            rows = rows[: last - first] if last is not None else rows
        else:
            rows = self.queryset[first:last]
        pairs = [(row, language) for row in rows for language in self.languages]
        skip = start - first * n
        return pairs[skip : skip + (stop - start) if stop is not None else None]


class PlaceSitemap(I18nSitemap):
    changefreq = "monthly"
    limit = PLACES_PER_PAGE * len(settings.LANGUAGES)

    def items(self):
        return Place.objects.published().only("slug", "updated_at").order_by("pk")

    @property
    def paginator(self):
        languages = [code for code, _name in settings.LANGUAGES]
        return Paginator(LanguagePairs(self.items(), languages), self.limit)

    def location(self, place):
        return reverse("places:detail", kwargs={"slug": place.slug})

    def lastmod(self, place):
        return place.updated_at

    def _urls(self, page, protocol, domain):
        """What Django's ``Sitemap._urls`` gives (tests/test_sitemaps.py compares them), with
        one ``reverse()`` per language for the whole page: Django's activates a language and
        reverses a URL four times per entry (its location, two alternates, x-default), 2,400
        times for a page of 300 places, most of an uncached page's time."""
        languages = [code for code, _name in settings.LANGUAGES]
        bases = {}
        for language in languages:
            with translation.override(language):
                path = reverse("places:detail", kwargs={"slug": "SLUG"})
            bases[language] = f"{protocol}://{domain}{path}"
        default = settings.LANGUAGE_CODE
        x_default = bases[default].replace(f"/{default}/", "/", 1)
        urls, latest = [], None
        for place, language in self.paginator.page(page).object_list:
            alternates = [
                {"location": bases[code].replace("SLUG", place.slug), "lang_code": code}
                for code in languages
            ]
            alternates.append(
                {"location": x_default.replace("SLUG", place.slug), "lang_code": "x-default"}
            )
            urls.append(
                {
                    "item": (place, language),
                    "location": bases[language].replace("SLUG", place.slug),
                    "lastmod": place.updated_at,
                    "changefreq": self.changefreq,
                    "priority": "",
                    "alternates": alternates,
                }
            )
            latest = max(latest, place.updated_at) if latest else place.updated_at
        if latest:
            self.latest_lastmod = latest
        return urls

    def get_latest_lastmod(self):
        return self.items().aggregate(latest=Max("updated_at"))["latest"]


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
