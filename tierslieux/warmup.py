"""What each worker process would otherwise do on its first request, done once in the process
that forks them (gunicorn with ``preload_app``: tierslieux/gunicorn.conf.py), so that every
worker, the first ones and those that replace a recycled one, starts ready.

Measured at 100,000 places under load: a new worker's first request took 0.7 to 1.5 s (every
URLconf and view imported, the translation catalogues and formats read, each template
compiled), and gunicorn's workers, recycled after about as many requests each, were often
replaced together: the whole site then stalled for a second. Nothing here opens a connection
(to the database or the cache): the forked workers must not share one.
"""

from django.conf import settings
from django.template import engines
from django.urls import get_resolver
from django.utils import formats, translation

from places import cache


def warm_up() -> None:
    resolver = get_resolver()
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            # imports every URLconf and view, and fills this language's reverse lookup
            resolver.reverse_dict  # noqa: B018
            translation.gettext("Annuaire des tiers-lieux")  # reads the catalogues
            formats.get_format("DATE_FORMAT")  # and the formats (tierslieux/formats)
    engine = engines["django"]
    templates = settings.BASE_DIR / "templates"
    for path in sorted(templates.rglob("*.html")):
        engine.get_template(str(path.relative_to(templates)))  # compiled once, then kept
    cache.release()  # the code's digest, in every cache key
