"""Pathscore settings: one module, every environment-dependent value read through ``env``.

The embedded default needs nothing set: data lives in ``PATHSCORE_DATA_DIR`` (``./var``),
the database is SQLite, jobs use Huey's SQLite queue. ``PATHSCORE_DATABASE_URL`` and
``PATHSCORE_REDIS_URL`` move a company to PostgreSQL and Redis; ``PATHSCORE_ENV=production``
demands an explicit secret key and host list and switches on the secure settings.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from pathscore.env import (
    ConfigError,
    env_bool,
    env_choice,
    env_database_url,
    env_int,
    env_list,
    env_path,
    env_rate,
    env_redis_url,
    env_str,
    env_time_zone,
)

PACKAGE_DIR = Path(__file__).resolve().parent

ENVIRONMENT = env_choice("PATHSCORE_ENV", ("development", "production"), "development")
PRODUCTION = ENVIRONMENT == "production"
DEBUG = env_bool("PATHSCORE_DEBUG", False)

DATA_DIR = env_path("PATHSCORE_DATA_DIR", Path.cwd() / "var")
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"


def _ensure_data_dir() -> None:
    try:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(
            f"PATHSCORE_DATA_DIR cannot be used ({str(DATA_DIR)!r}): {error.strerror}"
        ) from None


def _secret_key() -> str:
    configured = env_str("PATHSCORE_SECRET_KEY")
    if configured:
        if len(configured) < 32:
            raise ConfigError("PATHSCORE_SECRET_KEY must be at least 32 characters long")
        return configured
    if PRODUCTION:
        raise ConfigError("PATHSCORE_SECRET_KEY must be set when PATHSCORE_ENV=production")
    # The embedded default keeps a generated key beside its database so sessions survive
    # restarts without anyone having to invent a secret.
    key_file = DATA_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    _ensure_data_dir()
    key = secrets.token_urlsafe(50)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = env_list("PATHSCORE_ALLOWED_HOSTS", [] if PRODUCTION else ["*"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ConfigError("PATHSCORE_ALLOWED_HOSTS must be set when PATHSCORE_ENV=production")
CSRF_TRUSTED_ORIGINS = env_list("PATHSCORE_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "simple_history",
    "axes",
    "huey.contrib.djhuey",
    "pathscore.core",
    "pathscore.notify",
    "pathscore.org",
    "pathscore.crm",
    "pathscore.process",
    "pathscore.scoring",
    "pathscore.insights",
    "pathscore.transfer",
    "pathscore.demo",
    "pathscore.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "pathscore.core.middleware.SessionExpiryMiddleware",
    # Every 403 a signed-in person gets goes to the security log once.
    "pathscore.core.middleware.DenialLogMiddleware",
    # Nothing a signed-in person receives is kept by a browser or proxy cache.
    "pathscore.core.middleware.PrivateByDefaultMiddleware",
    "pathscore.core.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "pathscore.urls"
WSGI_APPLICATION = "pathscore.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "pathscore.core.context_processors.navigation",
                "pathscore.notify.context_processors.inbox",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------

_database = env_database_url("PATHSCORE_DATABASE_URL")
if _database is None:
    _ensure_data_dir()
    _database = {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": DATA_DIR / "pathscore.sqlite3",
        "OPTIONS": {
            # IMMEDIATE takes the write lock when a transaction starts, so two writers
            # queue on the busy timeout instead of failing half-way with "database is locked".
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            ),
        },
        # Tests use a file too: an in-memory database cannot show how two connections
        # contend for a write ("exactly one reviewer wins").
        "TEST": {"NAME": str(DATA_DIR / "test-pathscore.sqlite3")},
    }
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USING_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")

# --- Redis, cache and jobs --------------------------------------------------------------

REDIS_URL = env_redis_url("PATHSCORE_REDIS_URL")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "pathscore",
        }
    }
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": env_str("PATHSCORE_QUEUE_NAME", "pathscore"),
        "url": REDIS_URL,
        "immediate": False,
        "consumer": {"workers": 2, "worker_type": "thread"},
    }
else:
    # The database cache is shared by every process, unlike a per-process memory cache.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "pathscore_cache",
        }
    }
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "pathscore",
        "filename": str(DATA_DIR / "huey.sqlite3"),
        "immediate": False,
        "consumer": {"workers": 2, "worker_type": "thread"},
    }
HUEY["immediate"] = env_bool("PATHSCORE_JOBS_IMMEDIATE", False)

# --- Authentication and sessions -------------------------------------------------------

AUTH_USER_MODEL = "org.User"
LOGIN_URL = "login"
LOGIN_URL_PATH = "/accounts/login/"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if env_bool("PATHSCORE_FAST_PASSWORD_HASHER", False):
    # Only the test suite sets this: argon2 is deliberately slow.
    PASSWORD_HASHERS.insert(0, "django.contrib.auth.hashers.MD5PasswordHasher")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Absolute lifetime: a session ends this long after login, however active it is.
SESSION_ABSOLUTE_SECONDS = env_int("PATHSCORE_SESSION_ABSOLUTE_HOURS", 12, minimum=1) * 3600
# Idle lifetime: a session ends after this long without a request.
SESSION_IDLE_SECONDS = env_int("PATHSCORE_SESSION_IDLE_MINUTES", 120, minimum=1) * 60
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_SECONDS

AXES_FAILURE_LIMIT = env_int("PATHSCORE_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("PATHSCORE_LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "pathscore.org.views.auth.lockout_response"
AXES_VERBOSE = False
AXES_IPWARE_PROXY_COUNT = env_int("PATHSCORE_PROXY_COUNT", 0, minimum=0) or None

# --- Internationalisation --------------------------------------------------------------

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = env_time_zone("PATHSCORE_TIME_ZONE", "Asia/Shanghai")
USE_TZ = True
LANGUAGE_COOKIE_NAME = "pathscore_language"

# --- Static files and uploads ----------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Outside production the files are served straight from the package, so the demo needs
# no collectstatic step and DEBUG can stay off.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION
UPLOAD_MAX_BYTES = env_int("PATHSCORE_UPLOAD_MAX_MB", 50, minimum=1) * 1024 * 1024
#: Per user and action (pathscore/core/ratelimit.py); logins are limited by django-axes.
PATHSCORE_RATE_LIMITS = {
    "export": env_rate("PATHSCORE_EXPORT_RATE", "30/10m"),
    "upload": env_rate("PATHSCORE_UPLOAD_RATE", "60/10m"),
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o640

# --- E-mail ------------------------------------------------------------------------------

EMAIL_BACKEND = env_str(
    "PATHSCORE_EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env_str("PATHSCORE_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("PATHSCORE_EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("PATHSCORE_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_str("PATHSCORE_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("PATHSCORE_EMAIL_TLS", False)
DEFAULT_FROM_EMAIL = env_str("PATHSCORE_EMAIL_FROM", "pathscore@localhost")
#: Reminders and alerts also go by e-mail when this is on (the inbox always gets them).
PATHSCORE_EMAIL_NOTIFICATIONS = env_bool("PATHSCORE_EMAIL_NOTIFICATIONS", PRODUCTION)
#: The address people reach Pathscore at, for links in e-mails and robot messages.
PATHSCORE_BASE_URL = (env_str("PATHSCORE_BASE_URL", "http://127.0.0.1:8000") or "").rstrip("/")

# --- Security headers -----------------------------------------------------------------

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
CSRF_COOKIE_HTTPONLY = False
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("PATHSCORE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("PATHSCORE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("PATHSCORE_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        # Preloading is hard to undo and intranet hosts often cannot use it: opt-in only.
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Scripts only from our own origin: no inline <script>, no eval (so no hx-on attributes).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# --- REST API ---------------------------------------------------------------------------

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "pathscore.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "pathscore.api.permissions.TokenScopePermission",
        # A role that may not change a kind of record is refused before the body is read.
        "pathscore.core.permissions.WritePolicyPermission",
    ],
    "DEFAULT_FILTER_BACKENDS": ["pathscore.api.filters.StrictFilterBackend"],
    # JSON in and out: form encodings cannot tell null from "null" nor carry lists of
    # objects. Uploads read multipart/form-data on their own views.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "pathscore.api.pagination.BoundedPageNumberPagination",
    "DEFAULT_SCHEMA_CLASS": "pathscore.api.schema.PathscoreAutoSchema",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "pathscore.api.errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Pathscore API",
    "DESCRIPTION": "Sales process assessment: records, process nodes, scores.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    # Separate request and response components: read-only fields are not asked for, and
    # what a request may not leave blank is said so.
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a "state" field with different choices: name each enum.
    "ENUM_NAME_OVERRIDES": {
        "NodeStateEnum": "pathscore.process.choices.NodeState",
        "SubmissionStateEnum": "pathscore.process.choices.SubmissionState",
        "DelayDecisionEnum": "pathscore.process.choices.DelayDecision",
        "ProjectStatusEnum": "pathscore.crm.choices.ProjectStatus",
        # Template versions and scorecards share one draft/published/retired choice set.
        "PublicationStatusEnum": "pathscore.scoring.choices.ScorecardStatus",
        "PeriodStateEnum": "pathscore.scoring.choices.PeriodState",
        "PeriodKindEnum": "pathscore.scoring.choices.PeriodKind",
        "AppealStateEnum": "pathscore.scoring.choices.AppealState",
        "TaskStateEnum": "pathscore.process.choices.TaskState",
    },
}

# --- Logging -----------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {
        "handlers": ["console"],
        "level": env_choice(
            "PATHSCORE_LOG_LEVEL", ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"), "INFO"
        ),
    },
    "loggers": {
        "django.request": {"level": "ERROR"},
        "axes": {"level": "WARNING"},
        "huey": {"level": "WARNING"},
    },
}

PATHSCORE_DEMO_PASSWORD = env_str("PATHSCORE_DEMO_PASSWORD", "pathscore-demo")
PATHSCORE_SITE_NAME = _("Pathscore")
