"""Settings for the directory of French tiers-lieux: one file, read from the environment.

Production-safe defaults: debug is off unless DJANGO_DEBUG=1, and without debug the app refuses to
start without a real DJANGO_SECRET_KEY. See README.md for every variable.
"""

import os
from datetime import timedelta
from email.utils import getaddresses
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from tierslieux.security import origin_of
from tierslieux.storage import media_origin, media_storage

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG")

_INSECURE_KEY = "django-insecure-development-only"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off (production). "
            "For development, set DJANGO_DEBUG=1 (make run does)."
        )
    SECRET_KEY = _INSECURE_KEY
elif SECRET_KEY == _INSECURE_KEY and not DEBUG:
    raise ImproperlyConfigured("The development secret key cannot be used in production.")

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django.contrib.sitemaps",
    "django_filters",
    "django_htmx",
    "axes",
    "simple_history",
    "places",
    "contributions",
    "opendata",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
]

# The read-only API (opendata/api.py): JSON only, no session, problems as RFC 9457.
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "UNAUTHENTICATED_USER": None,
    "EXCEPTION_HANDLER": "opendata.api.problem_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Annuaire des tiers-lieux",
    "DESCRIPTION": (
        "API en lecture seule de l'annuaire des tiers-lieux : les lieux (avec les filtres et la "
        "recherche de /lieux/), leurs espaces, partenariats publics et activités, les partenaires, "
        "les territoires et les vocabulaires. Données sous Licence Ouverte 2.0 ; les partenariats "
        "et activités d'illustration portent « illustratif »."
    ),
    "VERSION": "1.0.0",
    "LICENSE": {
        "name": "Licence Ouverte 2.0 (Etalab)",
        "url": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
    },
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

MIDDLEWARE = [
    # First: a NUL byte or an overlong query string gets a 400 before anything reads it.
    "tierslieux.middleware.RequestGuardMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Versions record who made a change in the admin (places.history).
    "simple_history.middleware.HistoryRequestMiddleware",
    "tierslieux.middleware.StatementTimeoutMiddleware",
    "tierslieux.middleware.DatabaseUnavailableMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tierslieux.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "places.context_processors.directory",
            ],
        },
    },
]

WSGI_APPLICATION = "tierslieux.wsgi.application"

# PostgreSQL is the one database. DATABASE_URL picks the server (production, CI); without it an
# embedded PostgreSQL 18 from requirements-dev.txt is started on demand in var/pgdata.
if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.config(conn_max_age=60, conn_health_checks=True)}
else:
    from tierslieux.embedded_db import database_settings

    DATABASES = {"default": database_settings(BASE_DIR)}
# A connection is checked before it is reused (a database restart costs one failed check, not a
# 500), and a server that does not answer is given up after a few seconds, not gunicorn's 30.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
    "connect_timeout", int(os.environ.get("DJANGO_DB_CONNECT_TIMEOUT", 3))
)
# An optional read replica: anonymous visitors' reads go there (tierslieux.routers), staff and
# every write go to the primary.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = dj_database_url.parse(
        os.environ["DATABASE_REPLICA_URL"], conn_max_age=60, conn_health_checks=True
    )
    DATABASES["replica"]["OPTIONS"] = dict(DATABASES["default"]["OPTIONS"])
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["tierslieux.routers.ReplicaRouter"]
for _alias in DATABASES.values():
    if not _alias["ENGINE"].endswith("postgresql"):
        raise ImproperlyConfigured("The directory runs on PostgreSQL only (postgres://…).")

# Every SQL statement of a request is cut after this long (tierslieux.middleware): a clear
# "too broad" page rather than a worker held for seconds. Below gunicorn's timeout (30 s).
STATEMENT_TIMEOUT_MS = int(os.environ.get("DJANGO_STATEMENT_TIMEOUT_MS", 3000))
ADMIN_STATEMENT_TIMEOUT_MS = int(os.environ.get("DJANGO_ADMIN_STATEMENT_TIMEOUT_MS", 20000))
# After each data change, the process that rebuilds the facet index ranks this many of the
# commonest words in a background thread (places.facets.warm_common_searches); 0: never.
DIRECTORY_WARM_SEARCHES = int(os.environ.get("DJANGO_WARM_SEARCHES", 60))

# The release being served (a commit hash, set by the deployment); without it, a digest of the
# code and templates. Part of every cache key: a new release never serves the previous pages.
RELEASE = os.environ.get("DJANGO_RELEASE", "")

# Longest query string answered (tierslieux.middleware.RequestGuardMiddleware): the directory's
# fullest form fills a few hundred bytes; gunicorn bounds the whole request line (8190).
MAX_QUERY_STRING_BYTES = int(os.environ.get("DJANGO_MAX_QUERY_STRING_BYTES", 4096))

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Login throttling (django-axes): after AXES_FAILURE_LIMIT wrong passwords, the address and the
# account are locked for AXES_COOLOFF_TIME, with a page that says so (templates/locked_out.html).
# Attempts are kept in the database and listed in the admin, where a lock can be lifted.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("DJANGO_LOGIN_FAILURE_LIMIT", 10))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("DJANGO_LOGIN_COOLOFF_MINUTES", 15)))
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_LOCKOUT_CALLABLE = "tierslieux.views.locked_out"
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "tierslieux.security.client_ip"
AXES_VERBOSE = False

# Behind a reverse proxy, the number of proxies whose X-Forwarded-For entries are trusted (the
# client address is the one they saw). 0: REMOTE_ADDR, the peer itself.
TRUSTED_PROXY_COUNT = int(os.environ.get("DJANGO_TRUSTED_PROXY_COUNT", 0))

# Rate limits (django-ratelimit, counted in the cache: Redis in production). Only the requests
# that compute count: a page served from the page cache is free, a new search, filter
# combination or export is not. Beyond the limit: HTTP 429 and a page that says when to retry.
RATELIMIT_ENABLE = env_bool("DJANGO_RATELIMIT_ENABLE", True)
RATELIMIT_VIEW = "tierslieux.views.rate_limited"
DIRECTORY_RATE_LIMIT = os.environ.get("DJANGO_DIRECTORY_RATE_LIMIT", "120/m")
# django-ratelimit does not list Django's own RedisCache, whose incr() is atomic (Redis INCR).
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# British date and number formats for the English pages (tierslieux/formats/en)
FORMAT_MODULE_PATH = ["tierslieux.formats"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_URL = os.environ.get("DJANGO_MEDIA_URL", "/media/")
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "media"))
# Where make backup writes its archives (tierslieux.backups).
BACKUP_DIR = Path(os.environ.get("BACKUP_DIR", BASE_DIR / "var" / "backups"))
# Photos: a local folder (MEDIA_ROOT) that the reverse proxy serves at MEDIA_URL
# (docs/deployment.md), or S3-compatible object storage when MEDIA_STORAGE_URL is set:
# s3://bucket/prefix?endpoint_url=https://…&region_name=… with AWS_ACCESS_KEY_ID and
# AWS_SECRET_ACCESS_KEY in the environment (django-storages; boto3 from requirements-s3.txt).
MEDIA_STORAGE_URL = os.environ.get("MEDIA_STORAGE_URL", "")
# Django serves the photos itself: in development, or on one machine without a reverse proxy.
SERVE_MEDIA = env_bool("DJANGO_SERVE_MEDIA", DEBUG)
STORAGES = {
    "default": media_storage(MEDIA_STORAGE_URL)
    if MEDIA_STORAGE_URL
    else {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# Uploads: photos are checked again in places.images, these only cap what reaches the form.
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
PHOTO_MAX_BYTES = int(os.environ.get("PHOTO_MAX_BYTES", 10 * 1024 * 1024))
PHOTO_MAX_PIXELS = int(os.environ.get("PHOTO_MAX_PIXELS", 40_000_000))
# Photos are stored at most this many pixels wide or high (renditions are smaller still).
PHOTO_MAX_SIDE = int(os.environ.get("PHOTO_MAX_SIDE", 2560))

# Cache (places/cache.py: figures keyed by the data version). Redis when REDIS_URL is set
# (redis://127.0.0.1:6379/0), shared by every worker; otherwise each process's memory.
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "tierslieux"),
            # A Redis that does not answer costs a cache miss, not a worker held.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    }
    # Development and tests: rate limits counted per process (production sets REDIS_URL).
    SILENCED_SYSTEM_CHECKS.append("django_ratelimit.E003")

# The public directory
# Map tiles (MAP_TILES_URL, with the security headers below): any XYZ tile server; its
# attribution must match. The default is OpenStreetMap's (fine for light use, see
# https://operations.osmfoundation.org/policies/tiles/).
MAP_ATTRIBUTION = os.environ.get(
    "MAP_ATTRIBUTION",
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>',
)
# Public contributions (contributions/): proposals per address and hour, and the shortest time
# a person takes to fill a form (anything faster is a program).
CONTRIBUTION_RATE_LIMIT = os.environ.get("DJANGO_CONTRIBUTION_RATE_LIMIT", "10/h")
CONTRIBUTION_MIN_SECONDS = float(os.environ.get("DJANGO_CONTRIBUTION_MIN_SECONDS", 3))
# A contributor's e-mail is erased when the proposal is decided, or after this many days.
CONTRIBUTION_EMAIL_DAYS = 90

# Where people report an error on a place; without it the "about" page says to use the admin
# team's usual channel.
DIRECTORY_CONTACT_EMAIL = os.environ.get("DIRECTORY_CONTACT_EMAIL", "")

# Sessions read from the cache first: signed-in staff stay signed in while the database restarts.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# Security headers
# ---------------------------------------------------------------------------------------------
# HTTPS: in production every http:// request is redirected and browsers are told to stay on
# https (HSTS, one year by default). A TLS-terminating proxy that redirects itself, or a private
# test over plain http, switches them off: DJANGO_SECURE_SSL_REDIRECT=0, DJANGO_HSTS_SECONDS=0.
# The proxy must set X-Forwarded-Proto (docs/deployment.md).
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
    # Health checks come over plain http from the load balancer, straight to the app server.
    SECURE_REDIRECT_EXEMPT = [r"^sante/"]
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", 365 * 24 * 3600))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("DJANGO_HSTS_PRELOAD", False)
    SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
    if not SECURE_HSTS_PRELOAD:
        # Submitting the domain to the browsers' preload list is the operator's decision.
        SILENCED_SYSTEM_CHECKS.append("security.W021")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): only this origin's scripts and styles, never inline; the
# map's tiles from MAP_TILES_URL's origin. The admin and every public page run under it.
MAP_TILES_URL = os.environ.get("MAP_TILES_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
CSP_EXTRA_IMG_ORIGINS = env_list("DJANGO_CSP_IMG_ORIGINS")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": [
            "'self'",
            "data:",
            origin_of(MAP_TILES_URL),
            *([origin_of(MEDIA_URL)] if "://" in MEDIA_URL else []),
            *([media_origin(MEDIA_STORAGE_URL)] if MEDIA_STORAGE_URL else []),
            *CSP_EXTRA_IMG_ORIGINS,
        ],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Features the directory never uses, refused to every frame (django-permissions-policy).
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
}

# Errors and logs
# ---------------------------------------------------------------------------------------------
# Errors are e-mailed to ADMINS ("Name <address>, …") when set, through the SMTP server of
# DJANGO_EMAIL_HOST, and sent to Sentry when SENTRY_DSN is set. The 500 page says whether
# anyone was told.
ADMINS = [getaddresses([entry])[0] for entry in env_list("DJANGO_ADMINS")]
SERVER_EMAIL = os.environ.get("DJANGO_SERVER_EMAIL", "root@localhost")
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", SERVER_EMAIL)
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("DJANGO_EMAIL_PORT", 25))
EMAIL_HOST_USER = os.environ.get("DJANGO_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("DJANGO_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("DJANGO_EMAIL_USE_TLS")
EMAIL_TIMEOUT = 10
# Development: e-mails are printed on the console instead of sent.
EMAIL_BACKEND = (
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend"
)
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
if SENTRY_DSN:
    import sentry_sdk

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        environment=os.environ.get("SENTRY_ENVIRONMENT", "production"),
        send_default_pii=False,
    )
ERRORS_REPORTED = bool(ADMINS or SENTRY_DSN)

# Logs on stderr: one JSON object per line in production (for a log collector), plain text
# with debug on. Errors of requests also go to ADMINS when set.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "filters": {"require_debug_false": {"()": "django.utils.log.RequireDebugFalse"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "text" if DEBUG else os.environ.get("DJANGO_LOG_FORMAT", "json"),
        },
        "mail_admins": {
            "class": "django.utils.log.AdminEmailHandler",
            "level": "ERROR",
            "filters": ["require_debug_false"],
        },
    },
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
    "loggers": {
        "django.request": {"handlers": ["console", "mail_admins"], "propagate": False},
        "django.security": {"handlers": ["console", "mail_admins"], "propagate": False},
    },
}
