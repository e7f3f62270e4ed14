"""SOP Desk settings, configured from the environment.

Every value a deployment changes is read from an environment variable; the defaults
give a development setup on SQLite. See README.md, "Configuration".
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}.") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG")

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "Set SECRET_KEY in the environment (or DEBUG=1 for development)."
        )
    SECRET_KEY = "django-insecure-development-key-only-used-when-debug-is-on"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "simple_history",
    "csp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # Before django_tasks_db: its `db_worker` command is replaced by one that survives
    # database errors (procedures/management/commands/db_worker.py).
    "procedures",
    "quality",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "procedures.middleware.RejectNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "procedures.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "procedures.middleware.PageCSPMiddleware",
]

ROOT_URLCONF = "sopdesk.urls"

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
                "procedures.context_processors.navigation",
                "quality.context_processors.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "sopdesk.wsgi.application"
ASGI_APPLICATION = "sopdesk.asgi.application"

# Database: DATABASE_URL, e.g. postgres://user:password@host:5432/sopdesk.
# Persistent connections matter: ~45 ms per request without them on PostgreSQL, ~7 ms with;
# on SQLite opening the file costs ~1 ms a request (bench/manual.py: 2.6 ms → 1.3 ms for a
# bare authenticated view).
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded database must hold a small center's real use (two app workers and the task
    # worker): readers never wait for a writer (WAL), a writer waits up to 20 s for another
    # instead of failing at once, and a write transaction takes the write lock when it starts
    # (IMMEDIATE), so two of them cannot deadlock upgrading their locks.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's PostgreSQL backend, with the health check of a connection skipped while it has
    # just served a request, and the lookups every request makes prepared (off behind PgBouncer
    # in transaction mode before 1.21): sopdesk/postgresql/base.py.
    DATABASES["default"]["ENGINE"] = "sopdesk.postgresql"
    # No JIT compilation: a search over 10,000 procedures spent 22 ms compiling to save nothing
    # (bench/search.py). Web queries are short; JIT pays off only for long reports.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "options", os.environ.get("DATABASE_OPTIONS", "-c jit=off")
    )
SOPDESK_PREPARED_STATEMENTS = env_bool("DATABASE_PREPARED_STATEMENTS", True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "procedures.User"

PASSWORD_HASHERS = [
    "procedures.hashers.SopDeskArgon2PasswordHasher",  # reads Django's Argon2 hashes too
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

CSRF_FAILURE_VIEW = "procedures.views.errors.csrf_failure"
# Every password check counts towards one lockout (procedures/lockout.py): five wrong passwords
# for an account in 15 minutes, at sign-in or signing, lock it; SOPDESK_LOGIN_ADDRESS_ATTEMPTS
# wrong ones from one network address lock that address (a floor shares one: keep it high).
# Behind a reverse proxy, name the header it sets to the client's address, for example
# HTTP_X_FORWARDED_FOR (only if the proxy overwrites it).
AUTHENTICATION_BACKENDS = ["procedures.backends.LockoutBackend"]
SOPDESK_LOGIN_ADDRESS_ATTEMPTS = env_int("SOPDESK_LOGIN_ADDRESS_ATTEMPTS", 100)
SOPDESK_CLIENT_ADDRESS_HEADER = os.environ.get("SOPDESK_CLIENT_ADDRESS_HEADER", "")
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "en")
LANGUAGES = [
    ("en", _("English")),
    ("id", _("Indonesian")),
    ("fr", _("French")),
    ("hu", _("Hungarian")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
# English dates day first ("6 Dec 2026"); the other languages in their own formats.
FORMAT_MODULE_PATH = ["sopdesk.formats"]
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))

# Rendered documents live in the default storage: the file system (MEDIA_ROOT), or an
# S3-compatible store shared by several app servers when SOPDESK_STORAGE=s3.
if os.environ.get("SOPDESK_STORAGE", "filesystem") == "s3":
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ.get("AWS_STORAGE_BUCKET_NAME", ""),
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
            "access_key": os.environ.get("AWS_ACCESS_KEY_ID"),
            "secret_key": os.environ.get("AWS_SECRET_ACCESS_KEY"),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
    if not _default_storage["OPTIONS"]["bucket_name"]:
        raise ImproperlyConfigured(
            "SOPDESK_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME: the bucket to use."
        )
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# E-mail: the console by default; SMTP when EMAIL_HOST is set.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=bool(EMAIL_HOST))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "SOP Desk <sopdesk@localhost>")
# "Forgot your password?" sends a link by e-mail: offered only with a real mail server.
SOPDESK_PASSWORD_RESET = env_bool("SOPDESK_PASSWORD_RESET", default=bool(EMAIL_HOST))

# Background work (rendering, rebuilding the manual) goes through Django's tasks framework:
# the database backend and `manage.py db_worker` by default, so workers can run on any
# machine that reaches the database; SOPDESK_TASKS=immediate runs tasks in-process instead.
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks.backends.immediate.ImmediateBackend"
            if os.environ.get("SOPDESK_TASKS") == "immediate"
            else "django_tasks_db.DatabaseBackend"
        ),
    }
}

# Local memory by default; REDIS_URL shares one cache between app servers.
if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
        }
    }

# Sessions live in a signed cookie: no query and no write on any request, on every kind of site
# (one server or several, with or without Redis). A session ends when it expires (the cookie's
# signature is timestamped: SESSION_COOKIE_AGE), when the person changes their password or is
# deactivated, and when they sign out: signing out replaces their session stamp, which every
# session's check includes (User._get_session_auth_hash), so a copied cookie ends with it, and
# so do their sessions on other devices. The cookie holds only who is signed in and that check.
SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"

# The audit trail is append-only: nobody reverts a record through the admin.
SIMPLE_HISTORY_REVERT_DISABLED = True

SOPDESK_ORGANISATION = os.environ.get("SOPDESK_ORGANISATION", "SOP Desk demo call center")
# The address people open SOP Desk at, for links in e-mails.
# It is written into documents that never change (links to attached forms in PDFs), so it is
# required without DEBUG (a system check error, procedures/checks.py).
SOPDESK_BASE_URL = os.environ.get("SOPDESK_BASE_URL", "http://127.0.0.1:8000" if DEBUG else "")
# Paper size of the PDFs: A4 or Letter.
SOPDESK_PAGE_SIZE = os.environ.get("SOPDESK_PAGE_SIZE", "A4")
# Rendering refuses a document larger than this (characters of Markdown). Each render (a PDF,
# the check of a saved draft) runs in a child process that is stopped after
# SOPDESK_RENDER_TIMEOUT seconds or when it maps SOPDESK_RENDER_MEMORY_MB more than its worker, so
# that no document can hang or exhaust a worker. Keep the draft check's limit
# (SOPDESK_CHECK_TIMEOUT) well below the web server's request timeout (gunicorn's --timeout).
SOPDESK_RENDER_MAX_CHARS = env_int("SOPDESK_RENDER_MAX_CHARS", 400000)
SOPDESK_RENDER_TIMEOUT = env_int("SOPDESK_RENDER_TIMEOUT", 120)
SOPDESK_RENDER_MEMORY_MB = env_int("SOPDESK_RENDER_MEMORY_MB", 2048)
# How stored files (PDFs, pictures, forms) travel once permission is checked (procedures/serving.py):
# off (Django streams them), nginx (X-Accel-Redirect to SOPDESK_SENDFILE_PREFIX), apache
# (X-Sendfile), s3 (a redirect to a presigned address valid SOPDESK_PRESIGNED_SECONDS).
SOPDESK_SENDFILE = os.environ.get("SOPDESK_SENDFILE", "off")
if SOPDESK_SENDFILE not in ("off", "nginx", "apache", "s3"):
    raise ImproperlyConfigured(
        f"SOPDESK_SENDFILE must be off, nginx, apache or s3, not {SOPDESK_SENDFILE!r}."
    )
SOPDESK_SENDFILE_PREFIX = os.environ.get("SOPDESK_SENDFILE_PREFIX", "/_protected/")
SOPDESK_PRESIGNED_SECONDS = env_int("SOPDESK_PRESIGNED_SECONDS", 60)
SOPDESK_CHECK_TIMEOUT = env_int("SOPDESK_CHECK_TIMEOUT", 10)
# One element of a procedure (Purpose, a step …) may hold at most this many characters and nest
# lists, quotes and formatting at most this deep: checked when text is saved, imported or
# submitted, so that every page, PDF and diagram renders in bounded time.
SOPDESK_MAX_ELEMENT_CHARS = env_int("SOPDESK_MAX_ELEMENT_CHARS", 60000)
SOPDESK_MAX_NESTING = env_int("SOPDESK_MAX_NESTING", 24)
# Uploads: images and attached forms up to this size; pictures up to these dimensions (larger
# ones are refused before they are decoded); Word files to import up to SOPDESK_IMPORT_MAX_BYTES.
SOPDESK_UPLOAD_MAX_BYTES = env_int("SOPDESK_UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
SOPDESK_IMAGE_MAX_PIXELS = env_int("SOPDESK_IMAGE_MAX_PIXELS", 40000000)
SOPDESK_IMAGE_MAX_SIDE = env_int("SOPDESK_IMAGE_MAX_SIDE", 12000)
SOPDESK_IMPORT_MAX_BYTES = env_int("SOPDESK_IMPORT_MAX_BYTES", 25 * 1024 * 1024)
# An Office file (attached form or Word file to import) may unpack to at most this many bytes in
# all, checked while streaming; reading a Word file stops after SOPDESK_IMPORT_TIMEOUT seconds.
SOPDESK_ARCHIVE_MAX_UNPACKED_BYTES = env_int(
    "SOPDESK_ARCHIVE_MAX_UNPACKED_BYTES", 100 * 1024 * 1024
)
SOPDESK_IMPORT_TIMEOUT = env_int("SOPDESK_IMPORT_TIMEOUT", 20)
# Seconds a page of search results is kept (until the manual changes); 0 turns it off.
SOPDESK_SEARCH_CACHE_SECONDS = env_int("SOPDESK_SEARCH_CACHE_SECONDS", 300)

# Content-Security-Policy on every HTML page (django-csp; PDFs and files are left to the
# browser's viewer, procedures/middleware.py): scripts, styles, pictures and fonts
# from SOP Desk itself only; no inline script or style, no plugin, no framing, forms post here.
# Author text is sanitized before it reaches a page; this is the second line of defence.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# The JSON API for other systems (/api/v1/, procedures/api/): Django REST framework, described
# by drf-spectacular's OpenAPI document, its browsable docs served from here (the sidecar).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "procedures.api.auth.ApiKeyAuthentication",
        "procedures.api.auth.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["procedures.api.auth.Caller"],
    "DEFAULT_THROTTLE_CLASSES": ["procedures.api.auth.PerKeyThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "procedures.api.auth.Negotiation",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "procedures.api.problems.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "SOP Desk API",
    "DESCRIPTION": (
        "The procedures in force, call reasons, reading status and acknowledgements of SOP Desk, "
        "for the center's other systems. Authenticate with an API key "
        "(`Authorization: Bearer sopdesk_…`) or, from SOP Desk's own pages, the browser session."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "ENUM_NAME_OVERRIDES": {},
}
# How many API requests one person's browser session may make (a key's rate is set on the key).
SOPDESK_API_SESSION_RATE = os.environ.get("SOPDESK_API_SESSION_RATE", "1200/min")
# Sites whose pages may show the embeddable panel (/embed/…) in a frame, e.g.
# "https://crm.example.com": sent as the panel's CSP frame-ancestors; every other page of SOP
# Desk refuses to be framed. A CRM on another site needs SESSION_COOKIE_SAMESITE=None (and HTTPS)
# for the agent's sign-in to reach the frame.
SOPDESK_EMBED_ORIGINS = env_list("SOPDESK_EMBED_ORIGINS")
SESSION_COOKIE_SAMESITE = os.environ.get("SESSION_COOKIE_SAMESITE", "Lax") or None
if SESSION_COOKIE_SAMESITE == "None":
    CSRF_COOKIE_SAMESITE = "None"
# Webhooks (procedures/webhooks.py): a delivery waits at most this many seconds for an answer;
# addresses on private, loopback or link-local networks are refused unless allowed here.
SOPDESK_WEBHOOK_TIMEOUT = env_int("SOPDESK_WEBHOOK_TIMEOUT", 10)
SOPDESK_WEBHOOK_ALLOW_PRIVATE = env_bool("SOPDESK_WEBHOOK_ALLOW_PRIVATE")

# Security. Behind a TLS-terminating proxy set SECURE_PROXY_SSL_HEADER_ENABLED=1.
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", default=True)
    CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", default=True)
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    # Subdomains and browsers' preload lists only when asked for: on an intranet host they
    # would force HTTPS on every other host of the domain, for a long time.
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS")
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD")
    # A decision, not an oversight: `check --deploy` would warn about both.
    SILENCED_SYSTEM_CHECKS = [
        *([] if SECURE_HSTS_INCLUDE_SUBDOMAINS else ["security.W005"]),
        *([] if SECURE_HSTS_PRELOAD else ["security.W021"]),
    ]
    if env_bool("SECURE_PROXY_SSL_HEADER_ENABLED"):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # WeasyPrint reports every rendering step at INFO; keep its warnings (a refused URL).
    "loggers": {"weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}

# Quality monitoring (quality/): how many calls each agent should have evaluated per week (the
# dashboard marks fewer or more), the average score under which an agent is listed for coaching,
# and when a step is missed often enough to suggest a change to its procedure's owner.
SOPDESK_QUALITY_CALLS_PER_WEEK = (
    env_int("SOPDESK_QUALITY_CALLS_PER_WEEK_MIN", 4),
    env_int("SOPDESK_QUALITY_CALLS_PER_WEEK_MAX", 8),
)
SOPDESK_QUALITY_THRESHOLD = env_int("SOPDESK_QUALITY_THRESHOLD", 85)
SOPDESK_QUALITY_MISSED_SHARE = env_int("SOPDESK_QUALITY_MISSED_SHARE", 25)
SOPDESK_QUALITY_MISSED_CALLS = env_int("SOPDESK_QUALITY_MISSED_CALLS", 10)
# A draft evaluation nobody changed for this many days (or whose evaluator's account is closed)
# may be taken over by another person who scores that agent's calls.
SOPDESK_QUALITY_DRAFT_IDLE_DAYS = env_int("SOPDESK_QUALITY_DRAFT_IDLE_DAYS", 7)
