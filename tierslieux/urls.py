import re

from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.contrib.sitemaps import views as sitemaps
from django.shortcuts import redirect
from django.templatetags.static import static as static_url
from django.urls import include, path, re_path
from django.views.static import serve

from places.cache import cached_page
from places.sitemaps import SITEMAPS
from places.views import robots_txt
from tierslieux import views

handler500 = "tierslieux.views.server_error"

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    # Browsers ask for /favicon.ico on every page, the admin's included.
    path("favicon.ico", lambda request: redirect(static_url("img/favicon.svg"), permanent=True)),
    path("robots.txt", robots_txt, name="robots"),
    # The read-only JSON API (not under a language prefix: its labels carry both languages).
    path("api/v1/", include("opendata.api_urls")),
    # Liveness (and the benchmark's floor): no database, the whole middleware stack.
    path("sante/", views.health, name="health"),
    # Readiness: the database and the cache answer (503 otherwise).
    path("sante/pret/", views.ready, name="ready"),
    # An index of paginated sitemaps (?p=2…), each page cached by data version.
    path(
        "sitemap.xml",
        cached_page(sitemaps.index),
        {"sitemaps": SITEMAPS, "sitemap_url_name": "sitemap-section"},
        name="sitemap",
    ),
    path(
        "sitemap-<section>.xml",
        cached_page(sitemaps.sitemap),
        {"sitemaps": SITEMAPS},
        name="sitemap-section",
    ),
]
urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    path("", include("contributions.urls")),
    path("", include("opendata.urls")),
    path("", include("places.urls")),
    prefix_default_language=False,
)
if settings.SERVE_MEDIA and not settings.MEDIA_STORAGE_URL:
    # Photos served by Django itself: development, or one machine without a reverse proxy
    # (DJANGO_SERVE_MEDIA=1). Otherwise the proxy serves MEDIA_ROOT (docs/deployment.md).
    urlpatterns += [
        re_path(
            r"^{}(?P<path>.*)$".format(re.escape(settings.MEDIA_URL.lstrip("/"))),
            serve,
            {"document_root": settings.MEDIA_ROOT},
        )
    ]
