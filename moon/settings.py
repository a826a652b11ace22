"""moon's settings: what varies between machines comes from the environment.

The variables are listed in README.md, "Configuration".
"""

import os
import tomllib
from datetime import timedelta
from pathlib import Path

import dj_database_url
import django_stubs_ext
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

from moon.lib.env import env_bool, env_float, env_int, env_list, env_str, local_secret_key

django_stubs_ext.monkeypatch()  # lets admin classes be subscripted for the type checker

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
with (BASE_DIR / "pyproject.toml").open("rb") as _project:
    MOON_VERSION: str = tomllib.load(_project)["project"]["version"]

APP_ENV = env_str("APP_ENV", "dev")
if APP_ENV not in {"dev", "test", "prod"}:
    raise ImproperlyConfigured(f"APP_ENV must be dev, test or prod, got {APP_ENV!r}")
# Off unless asked for: the debug pages show settings, paths and source to whoever gets a 500.
DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if APP_ENV == "prod":
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. In production (APP_ENV=prod) moon refuses to start without "
            "one: export SECRET_KEY to a long random string (python -c 'import secrets; "
            "print(secrets.token_urlsafe(50))')."
        )
    SECRET_KEY = local_secret_key(VAR_DIR / "secret-key")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if APP_ENV == "prod" else "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "corsheaders",
    "django_htmx",
    "template_partials",
    "django_celery_beat",
    "csp",
    "axes",
    "moon.lib",
    "tokens",
    "scoring",
    "ingestion",
    "moon.operations",
    "moon.push",
    "moon.web",
]

MIDDLEWARE = [
    "moon.lib.requestid.RequestIdMiddleware",  # X-Request-ID; the id is on every log line
    "django.middleware.security.SecurityMiddleware",
    "moon.lib.security.RequestGuard",
    "csp.middleware.CSPMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # ETag on every GET answer, 304 when If-None-Match has it: computed from the answer itself,
    # so it can never stand for data older than the last refresh.
    "django.middleware.http.ConditionalGetMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",  # after auth, as django-axes asks
    # Innermost: the one middleware that only runs sync sits next to the sync views, so under
    # ASGI a request crosses into a thread once (a sync-only one further out costs two more
    # hops each). Static files still leave here, before any view runs.
    "whitenoise.middleware.WhiteNoiseMiddleware",
]

# --- Security: logins, content policy, error pages --------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses before checking once an address is locked
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15, minimum=1))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Behind N proxies the client is the Nth X-Forwarded-For entry from the right, as for the
# API's throttles; never the whole header, which any client can forge.
NUM_PROXIES = env_int("API_NUM_PROXIES", 0, minimum=0)
AXES_CLIENT_IP_CALLABLE = "moon.lib.security.client_ip"
# No inline script anywhere: every script is a static file of moon's own. Inline styles stay
# allowed (the SVG charts and htmx's swap classes use them); token images come from
# DexScreener's CDN over https.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "https:", "data:"],
        "connect-src": [SELF],
        "font-src": [SELF, "data:"],
        "worker-src": [SELF, "blob:"],  # ReDoc parses the schema in a worker
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
DEFAULT_EXCEPTION_REPORTER_FILTER = "moon.lib.security.SecretsHidingFilter"

ROOT_URLCONF = "moon.urls"
WSGI_APPLICATION = "moon.wsgi.application"
ASGI_APPLICATION = "moon.asgi.application"

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
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'moon.sqlite3'}")
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
}
if (
    os.environ.get("MOON_PROCESS") == "web"
    and DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
):
    # Under ASGI each request's sync code runs on a thread of its own, so a connection kept
    # per thread (CONN_MAX_AGE) would be one per request: the web process shares a pool.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # A connection is checked as it is taken (CONN_HEALTH_CHECKS: one broken by a database
    # restart is replaced), and a request waits at most 2 s for one: with the database down,
    # /health answers in time.
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": env_int("WEB_DB_POOL_SIZE", 8, minimum=1),
        "timeout": 2,
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # One writer at a time: IMMEDIATE takes the write lock up front, so two read-then-write
    # transactions queue on busy_timeout instead of failing with "database is locked".
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA busy_timeout=20000; PRAGMA synchronous=NORMAL;"
        ),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
FORMS_URLFIELD_ASSUME_HTTPS = True

# --- Redis: broker, cache, rate limiter, locks ----------------------------------------------
REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")
if APP_ENV == "test" and os.environ.get("PYTEST_XDIST_WORKER", "").startswith("gw"):
    # Parallel test workers share one Redis server; each flushes only a database of its own.
    REDIS_URL = f"{REDIS_URL.rsplit('/', 1)[0]}/{int(os.environ['PYTEST_XDIST_WORKER'][2:]) + 1}"

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_RESULT_EXPIRES = 3600  # a tracked task's state answers on /api/tasks/<id>/ this long
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 100
# A task whose whole worker died unacknowledged (acks_late; a SIGKILLed pool process is requeued
# at once) goes back to the queue this many seconds later. It must outlast the longest task and
# its retries' ETAs (refresh_batch: 120 s time limit, retries up to 30 s ahead): a shorter one
# runs live tasks twice. The fault drills lower it to see such a batch come back within a test.
# Workers look for those tasks every tenth of it, every 10 s at most (kombu's default: 100 s).
_VISIBILITY_TIMEOUT = env_int("CELERY_VISIBILITY_TIMEOUT", 600, minimum=1)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": _VISIBILITY_TIMEOUT,
    "unacked_restore_interval": max(1, min(10, _VISIBILITY_TIMEOUT // 10)),
    "unacked_restore_throttle": 1,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Write each entry's last_run_at as soon as it is sent (default: every 3 min): /health reads
# beat's last tick from it.
CELERY_BEAT_SYNC_EVERY = 1
CELERY_TIMEZONE = "UTC"
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
# Alerts go out on a queue of their own, so a worker busy with refreshes and risk checks never
# holds one back: every worker consumes both queues (the Procfile's `pusher` only `push`).
# Each queue bound by its own name (Celery binds a bare Queue to the default routing key).
CELERY_TASK_QUEUES = (Queue("celery", routing_key="celery"), Queue("push", routing_key="push"))
CELERY_TASK_ROUTES = {"push.*": {"queue": "push"}}

# --- Outside world --------------------------------------------------------------------------
SCHEDULER_ENABLED = env_bool("SCHEDULER_ENABLED", True)
DEXSCREENER_URL = env_str("DEXSCREENER_URL", "https://api.dexscreener.com").rstrip("/")
DEXSCREENER_RPM = env_int("DEXSCREENER_RPM", 300, minimum=1)
PUMPPORTAL_WS_URL = env_str("PUMPPORTAL_WS_URL", "wss://pumpportal.fun/api/data")
PUMPPORTAL_SILENCE_SECONDS = env_int("PUMPPORTAL_SILENCE_SECONDS", 300, minimum=1)
ALERT_WEBHOOK_URL = env_str("ALERT_WEBHOOK_URL")
# An open /api/stream/ with no event to send sends a comment this often (proxies drop idle ones).
STREAM_HEARTBEAT_SECONDS = env_float("STREAM_HEARTBEAT_SECONDS", 15.0, above=0)
# An alert being sent is claimed this long: longer than a channel may take to answer. A worker
# that died mid-send leaves its delivery to be sent again after it.
PUSH_CLAIM_SECONDS = env_float("PUSH_CLAIM_SECONDS", 60.0, above=0)
# Where moon's pages are seen from outside: the links in alerts.
MOON_BASE_URL = env_str("MOON_BASE_URL", f"http://127.0.0.1:{env_int('PORT', 8000, minimum=1)}")
# Where staff find Flower (linked from /system/); scripts/flower guards it (FLOWER_BASIC_AUTH).
FLOWER_URL = env_str("FLOWER_URL", f"http://127.0.0.1:{env_int('FLOWER_PORT', 5555, minimum=1)}/")
WATCHDOG_INTERVAL_SECONDS = env_float("WATCHDOG_INTERVAL_SECONDS", 15.0, above=0)
SOLANA_RPC_URL = env_str("SOLANA_RPC_URL", "https://api.mainnet-beta.solana.com")
SOLANA_RPC_RPS = env_float("SOLANA_RPC_RPS", 8.0, above=0)

# --- Auth, i18n, static ---------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "admin:login"
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first: an anonymous write then answers 401 with `WWW-Authenticate: Token`.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_PARSER_CLASSES": [
        "moon.lib.security.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("API_THROTTLE_ANON", "120/min"),
        "user": env_str("API_THROTTLE_USER", "600/min"),
        "write": env_str("API_THROTTLE_WRITE", "30/min"),
    },
    "DEFAULT_THROTTLE_CLASSES": [
        "moon.lib.api.AnonThrottle",
        "moon.lib.api.UserThrottle",
        "moon.lib.api.WriteThrottle",
    ],
    # Client IP for throttling: REMOTE_ADDR, or the Nth X-Forwarded-For entry from the right
    # behind N proxies. Never the whole header, which any client can forge.
    "NUM_PROXIES": NUM_PROXIES,
    "EXCEPTION_HANDLER": "moon.lib.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "moon API",
    "DESCRIPTION": (
        "Momentum scores of freshly migrated Pump.fun tokens.\n\n"
        "Reads are public. Writes need a staff session (with the CSRF token in `X-CSRFToken`) "
        "or an API token created in the admin (`Authorization: Token <key>`). Requests are "
        "throttled per anonymous IP, per user, and more tightly for writes; a throttled "
        "request answers 429 with `Retry-After`.\n\n"
        'Every error answers `{"error": {"code", "message", "fields"}}`: `code` is '
        "stable (`invalid`, `invalid_mint`, `not_found`, `not_authenticated`, "
        "`permission_denied`, `throttled`, `token_archived`, `broker_unavailable`, ...), "
        "`fields` maps each refused input to its messages.\n\n"
        "Live changes (migrations, scores, hot/cold, flags) come as Server-Sent Events from "
        "`/api/stream/`, resumable with `Last-Event-ID`."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "moon.lib.api.document_retry_after",
        "moon.lib.api.document_links",
        "moon.web.api.stream.document_stream",
    ],
    "ENUM_NAME_OVERRIDES": {
        "TokenStatusEnum": "tokens.models.Token.Status",
        "TaskStatusEnum": ["queued"],
        "FlagEnum": "moon.web.api.serializers.ALL_FLAGS",
        "RiskFlagEnum": "scoring.engine.risk.RISK_FLAGS",
    },
}
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")  # closed unless configured
CORS_URLS_REGEX = r"^/api/.*$"

# --- Production hardening (APP_ENV=prod): what `manage.py check --deploy` asks for ------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
_HTTPS = env_bool("HTTPS", APP_ENV == "prod")
SECURE_SSL_REDIRECT = _HTTPS
SESSION_COOKIE_SECURE = _HTTPS
CSRF_COOKIE_SECURE = _HTTPS
SECURE_HSTS_SECONDS = 31536000 if _HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = _HTTPS
SECURE_HSTS_PRELOAD = _HTTPS
SECURE_REDIRECT_EXEMPT = [r"^health", r"^metrics$", r"^version$"]

# --- Logging: JSON lines on stdout from every process, and the recent ones in Redis ---------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "moon.lib.logging.JsonFormatter"}},
    "filters": {"probes": {"()": "moon.lib.logging.ProbeAnswers"}},
    "handlers": {
        "stdout": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["probes"]},
        # /api/logs/ and /logs/ read it; never blocks or raises when Redis is down
        "store": {
            "()": "moon.operations.logstore.RedisLogHandler",
            "url": REDIS_URL,
            "filters": ["probes"],
        },
    },
    "root": {"handlers": ["stdout", "store"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
        "websockets": {"level": "WARNING"},
    },
}

# Every process that loads these settings gets moon's Celery app as the current one, so that
# tasks are sent with this configuration whoever sends them (the app reads settings lazily).
import moon.celery  # noqa: E402, F401
