"""shouhou settings: one module, every knob an environment variable (see docs/configuration.md)."""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy

from shouhou.config.env import (
    POOL_ENV,
    env_bool,
    env_int,
    env_json,
    env_list,
    env_path,
    env_str,
    postgres_pool,
)
from shouhou.config.production import production_problems, public_site, refusal_text
from shouhou.config.secret import secret_key

BASE_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = BASE_DIR.parent
DATA_DIR = env_path("SHOUHOU_DATA_DIR", REPO_DIR / "var")
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("SHOUHOU_DEBUG", False)
# Production: a real secret key and HTTPS settings are required (docs/security.md, docs/configuration.md).
PRODUCTION = env_bool("SHOUHOU_PRODUCTION", False)
# The site's public address (https://kefu.example.com): links sent to customers, and, unless set on their own,
# the host names served and the origins trusted for CSRF (a production that set only this used to answer 400 to
# every request: ALLOWED_HOSTS stayed 127.0.0.1,localhost).
PUBLIC_SITE = public_site(env_str("SHOUHOU_PUBLIC_BASE_URL", ""))
LOCAL_HOSTS = ["127.0.0.1", "localhost", "testserver"]
ALLOWED_HOSTS = env_list("SHOUHOU_ALLOWED_HOSTS", [*LOCAL_HOSTS, *([PUBLIC_SITE.host] if PUBLIC_SITE else [])])
CSRF_TRUSTED_ORIGINS = env_list("SHOUHOU_CSRF_TRUSTED_ORIGINS", [PUBLIC_SITE.origin] if PUBLIC_SITE else [])
# Production refuses to start while anything below is wrong, and names every one of them at once.
_refusals = production_problems(debug=DEBUG, key=env_str("SHOUHOU_SECRET_KEY", ""), allowed_hosts=ALLOWED_HOSTS,
                                public_base_url=env_str("SHOUHOU_PUBLIC_BASE_URL", "")) if PRODUCTION else []
if _refusals:
    raise ImproperlyConfigured(refusal_text(_refusals))
# Not set outside production: a random key made once for this install, kept in DATA_DIR/secret_key.
SECRET_KEY = secret_key(env_key=env_str("SHOUHOU_SECRET_KEY", ""), data_dir=DATA_DIR, production=PRODUCTION)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_q",
    "axes",
    "shouhou.core",
    "shouhou.accounts",
    "shouhou.commerce",
    "shouhou.policies",
    "shouhou.cases",
    "shouhou.sla",
    "shouhou.inbox",
    "shouhou.notifications",
    "shouhou.logistics",
    "shouhou.reviews",
    "shouhou.insight",
    "shouhou.desk",
    "shouhou.portal",
    "shouhou.platforms",
    "shouhou.live",
    "shouhou.api",
]

MIDDLEWARE = [
    # First: forwarded headers only from SHOUHOU_TRUSTED_PROXIES, so every later REMOTE_ADDR is the client.
    "shouhou.core.middleware.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    # Early, like the policy: static files (WhiteNoise) and refusals made before any view (a forged Host's 400)
    # get X-Frame-Options too, for browsers that ignore the policy's frame-ancestors.
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "shouhou.core.middleware.DatabaseUnavailableMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "shouhou.core.locale.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "shouhou.core.middleware.PrivateNoStoreMiddleware",  # pages and API answers: not kept by browsers or proxies
    "shouhou.core.middleware.LinkGoneMiddleware",  # expired/revoked customer links: a plain page
    "shouhou.core.middleware.MethodNotAllowedMiddleware",  # a 405 is a page (or the API's JSON), never blank
    "shouhou.core.middleware.UnstorableInputMiddleware",  # an id past any integer column, a NUL: 404/400, not a 500
    # Last, as django-axes requires: login throttling per account and per client IP.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "shouhou.config.urls"
WSGI_APPLICATION = "shouhou.config.wsgi.application"
ASGI_APPLICATION = "shouhou.config.asgi.application"

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
                "django.template.context_processors.i18n",
                "shouhou.accounts.context_processors.current_shop",
                "shouhou.desk.context_processors.nav_links",
                "csp.context_processors.nonce",
            ],
        },
    }
]

# --- Database: SQLite embedded by default, PostgreSQL by URL -----------------
DATABASE_URL = env_str("SHOUHOU_DATABASE_URL", f"sqlite:///{DATA_DIR / 'shouhou.sqlite3'}")
try:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("SHOUHOU_DB_CONN_MAX_AGE", 0))}
except ValueError as exc:  # an unknown scheme, a typo: say which variable, not a traceback from the parser
    raise ImproperlyConfigured(f"SHOUHOU_DATABASE_URL 无法识别（{exc}）；例如 "
                               "postgres://user:password@127.0.0.1:5432/shouhou 或 sqlite:////path/shouhou.sqlite3") from None
if not DATABASES["default"]["ENGINE"].endswith(("sqlite3", "postgresql")):
    # mysql://, oracle://… parsed, then failed at the first query with a stack trace about a missing driver
    raise ImproperlyConfigured(f"SHOUHOU_DATABASE_URL 只支持 PostgreSQL 与 SQLite，收到「{DATABASE_URL.split(':', 1)[0]}:」；"
                               "例如 postgres://user:password@127.0.0.1:5432/shouhou 或 sqlite:////path/shouhou.sqlite3")
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets the web process read while the worker writes; IMMEDIATE avoids lock upgrades failing.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # The tests' SQLite database is a file in WAL mode too (one per test worker, conftest.py removes what a
    # previous run left): Django's default, memory with a shared cache, refuses a write at once with "database
    # table is locked" where the product's file waits its turn, so a test with a server in a thread met errors
    # no user can meet.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Database connections of one web process (docs/deploy.md, "Connection budget"): under ASGI Django runs each
# HTTP request's sync code in a thread of its own, with a connection of its own, so the number of requests
# served at once is the number of connections. WEB_THREADS caps it (further requests wait in the event loop,
# which costs nothing); LIVE_READ_THREADS is the live pages' reading pool (shouhou.live.consumers), plus one
# thread for Channels' logins of WebSockets. Per process: WEB_THREADS + LIVE_READ_THREADS + 1 connections.
WEB_THREADS = env_int("SHOUHOU_WEB_THREADS", 8)
LIVE_READ_THREADS = env_int("SHOUHOU_LIVE_READ_THREADS", 2)
# A web process keeps its connections in a pool (docs/deploy.md, "Database connections"): `serve` sets
# SHOUHOU_DB_POOL to WEB_THREADS + LIVE_READ_THREADS + 2 unless it is set (0: one connection per request).
DB_POOL = env_int(POOL_ENV, 0)
postgres_pool(DATABASES["default"], DB_POOL)

# --- Cache and task queue: database by default, Redis when SHOUHOU_REDIS_URL is set
REDIS_URL = env_str("SHOUHOU_REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
elif env_str("SHOUHOU_CACHE", "") == "file":
    # Several web processes without Redis (`serve --processes N` sets this): cached values are shared through
    # files in the data directory. Rate limits and portal guesses are not counted in this cache but in Redis when
    # set, else in the database (core/counters.py: one atomic step per hit).
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                          "LOCATION": str(DATA_DIR / "cache")}}
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "shouhou"},
    }

# Live push (Django Channels, docs/live.md): in-memory inside one process by default, Redis across web
# processes, the worker and machines when SHOUHOU_REDIS_URL is set. Pages also read the stored events
# every LIVE_BACKSTOP_SECONDS, which is what carries events between processes without Redis.
# With Redis, the layer is channels-redis' pub/sub one: a desk event is published once and each web process
# hands it to its own sockets, where the list-based layer pushed and popped one Redis message per socket
# (25 round trips per event per process at 50 agents: the web processes' event loops fell seconds behind in
# the surge bench, docs/benchmarks/live_push.md). Pub/sub keeps nothing for a process that is not
# subscribed at that moment; the pages' gap check and backstop read such an event from the table.
# SHOUHOU_LIVE_LAYER=lists chooses the list-based layer, which drops a push to a channel already holding
# LIVE_CHANNEL_CAPACITY undelivered messages (the in-memory layer too, per socket).
LIVE_CHANNEL_CAPACITY = env_int("SHOUHOU_LIVE_CHANNEL_CAPACITY", 1000)
LIVE_LAYER = env_str("SHOUHOU_LIVE_LAYER", "pubsub")
if LIVE_LAYER not in {"pubsub", "lists"}:
    raise ImproperlyConfigured(f"SHOUHOU_LIVE_LAYER must be pubsub or lists, not {LIVE_LAYER!r}")
if REDIS_URL and LIVE_LAYER != "lists":
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer", "CONFIG": {
        "hosts": [REDIS_URL], "prefix": env_str("SHOUHOU_REDIS_PREFIX", "shouhou")}}}
elif REDIS_URL:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {
        "hosts": [REDIS_URL], "prefix": env_str("SHOUHOU_REDIS_PREFIX", "shouhou"),
        "capacity": LIVE_CHANNEL_CAPACITY}}}
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer",
                                  "CONFIG": {"capacity": LIVE_CHANNEL_CAPACITY}}}
LIVE_BACKSTOP_SECONDS = env_int("SHOUHOU_LIVE_BACKSTOP_MS", 10000 if REDIS_URL else 1000) / 1000

Q_CLUSTER: dict[str, object] = {
    "name": "shouhou",
    "workers": env_int("SHOUHOU_WORKERS", 2),
    "timeout": env_int("SHOUHOU_TASK_TIMEOUT", 300),
    # A task not acknowledged within `retry` seconds is delivered again (worker killed mid-task).
    "retry": env_int("SHOUHOU_TASK_RETRY", 360),
    "max_attempts": env_int("SHOUHOU_TASK_MAX_ATTEMPTS", 5),
    "ack_failures": True,
    "save_limit": 1000,
    "catch_up": False,
    "label": gettext_lazy("后台任务"),  # the admin's heading for the task tables, in the reader's language
    "sync": env_bool("SHOUHOU_TASKS_SYNC", False),
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"
    Q_CLUSTER["poll"] = 0.5

# --- Auth ---------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # zxcvbn's estimate, with the product's own words (shouhou, demo, kefu …) counted as known.
    {"NAME": "shouhou.accounts.passwords.GuessablePasswordValidator", "OPTIONS": {"min_score": 3}},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses a locked-out account or address before checking
    "django.contrib.auth.backends.ModelBackend",
]
# Login throttling (django-axes, attempts in the database: SQLite and PostgreSQL, every web process).
# A username or a client IP with LOGIN_FAILURE_LIMIT failures is locked for LOGIN_COOLOFF_MINUTES.
AXES_ENABLED = env_bool("SHOUHOU_LOGIN_THROTTLE", True)
AXES_FAILURE_LIMIT = env_int("SHOUHOU_LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = env_int("SHOUHOU_LOGIN_COOLOFF_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
# a success forgives that account's own failures only, not the address's on other accounts (accounts/throttle.py)
AXES_HANDLER = "shouhou.accounts.throttle.OwnFailuresResetHandler"
AXES_DISABLE_ACCESS_LOG = True  # failures are kept; successful logins are not logged per IP
AXES_CLIENT_IP_CALLABLE = "shouhou.core.clientip.client_ip_for_axes"
AXES_LOCKOUT_CALLABLE = "shouhou.accounts.views.login_locked_out"
AXES_HTTP_RESPONSE_CODE = 429
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "desk:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# --- i18n: Chinese first, English available, Asia/Shanghai -------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("SHOUHOU_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static and media ---------------------------------------------------------


def _collecting_static() -> bool:
    import sys

    return "collectstatic" in sys.argv[1:3]


STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Installed by the set-up into the checkout; an install outside it (`pip install .`, the Docker image) names the
# folder in SHOUHOU_FRONTEND_DIR.
FRONTEND_MODULES = env_path("SHOUHOU_FRONTEND_DIR", REPO_DIR / "frontend" / "node_modules")
STATICFILES_DIRS = [BASE_DIR / "static"]
# Front-end packages come from the npm registry (frontend/package.json), installed by the set-up.
for _prefix, _sub in (("vendor/chart.js", "chart.js/dist"), ("vendor/swagger-ui", "swagger-ui-dist")):
    if (FRONTEND_MODULES / _sub).is_dir():
        STATICFILES_DIRS.append((_prefix, FRONTEND_MODULES / _sub))
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
# Largest request body the server reads at all (core/bodylimit.py): an order export of 100,000 rows is ~15 MB.
MAX_REQUEST_BYTES = env_int("SHOUHOU_MAX_REQUEST_MB", 64) * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
WHITENOISE_USE_FINDERS = True
# After `shouhou collectstatic` (the deploy's migrate step runs it: deploy/systemd/shouhou-migrate.service,
# compose.yaml): file names carry a hash of their content and are served compressed (gzip, Brotli if installed),
# cached for a year by browsers and proxies; a new release has new names. Without it (development, tests): the
# files as they are, found in the source tree. Before, production served chart.js (210 KB) uncompressed, cached
# 60 s, under the same name in every release.
STATIC_MANIFEST = STATIC_ROOT / "staticfiles.json"
STORAGES = {
    # Uploads: every picture is stored decoded and written again, without EXIF/GPS (core/storage.py).
    "default": {"BACKEND": "shouhou.core.storage.CleanPictureStorage"},
    "staticfiles": {"BACKEND": "shouhou.config.staticfiles.ReleaseStaticFilesStorage"
                    if STATIC_MANIFEST.exists() or _collecting_static() else
                    "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Security defaults ----------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
# A refused CSRF token: the product's page in the reader's language (core/views.py), not Django's bare one.
CSRF_FAILURE_VIEW = "shouhou.core.views.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Served over HTTPS (on by default in production): secure cookies, redirect to https, HSTS.
HTTPS = env_bool("SHOUHOU_HTTPS", PRODUCTION)
SESSION_COOKIE_SECURE = env_bool("SHOUHOU_SECURE_COOKIES", HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# The language picked in the header menu (Django's set_language): hardened like the session's cookie. Django's
# defaults left it the one cookie without Secure, HttpOnly or SameSite; no script of the pages reads it.
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
SECURE_SSL_REDIRECT = env_bool("SHOUHOU_SSL_REDIRECT", HTTPS)
SECURE_HSTS_SECONDS = env_int("SHOUHOU_HSTS_SECONDS", 31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SHOUHOU_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SHOUHOU_HSTS_PRELOAD", False)
# Preloading is a submission to the browsers' list, the deployer's own decision (docs/security.md).
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
# Proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (addresses or networks); none by default,
# so a client can never choose the IP that per-IP limits count (core/middleware.TrustedProxyMiddleware).
TRUSTED_PROXIES = env_list("SHOUHOU_TRUSTED_PROXIES", [])
if TRUSTED_PROXIES:
    # Safe: the middleware drops this header from any peer that is not a trusted proxy.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Content-Security-Policy (django-csp): only this site's scripts and styles, inline ones by nonce.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "media-src": [SELF, "blob:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# --- Logging --------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"security_one_line": {"()": "shouhou.config.logs.SecurityOneLine"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["security_one_line"]}},
    "root": {"handlers": ["console"], "level": env_str("SHOUHOU_LOG_LEVEL", "WARNING")},
}

# --- shouhou's own knobs ----------------------------------------------------------


def _default_public_base_url() -> str:
    """Base of the links customers and platforms are sent (case follow, surveys, Kuaidi100's push back) when
    SHOUHOU_PUBLIC_BASE_URL is not set: in production the site's first host name over https (a production that
    forgot the variable sent customers links to http://127.0.0.1:8000), else the local `serve`."""
    local = {"127.0.0.1", "localhost", "testserver", "*", ""}
    host = next((h for h in ALLOWED_HOSTS if h not in local and not h.startswith(".")), "")
    return f"https://{host}" if PRODUCTION and host else "http://127.0.0.1:8000"


SHOUHOU = {
    "REVIEWS_CSV": env_str(
        "SHOUHOU_REVIEWS_CSV", str(REPO_DIR.parent / "shared" / "data" / "reviews" / "online_shopping_train.csv")
    ),
    "WEBHOOK_SECRET": env_str("SHOUHOU_WEBHOOK_SECRET", "dev-webhook-secret"),
    "PUBLIC_BASE_URL": env_str("SHOUHOU_PUBLIC_BASE_URL", "") or _default_public_base_url(),
    "API_RATE_LIMIT": env_str("SHOUHOU_API_RATE_LIMIT", "600/m"),
    # Customer links (case follow, web chat) stop working after this many days; staff can revoke sooner.
    "LINK_MAX_AGE_DAYS": env_int("SHOUHOU_LINK_MAX_AGE_DAYS", 90),
    # A case's follow link also stops this many days after the case was finished.
    "LINK_CLOSED_DAYS": env_int("SHOUHOU_LINK_CLOSED_DAYS", 30),
    # Platform API addresses a shop admin may connect to besides each platform's official gateway (a
    # platform's test gateway, a local sandbox): "scheme://host[:port]", comma-separated; a host without a port
    # admits every port. Set by the operator, never by a shop: the server sends requests there.
    "PLATFORM_API_BASES": [b.strip() for b in env_str("SHOUHOU_PLATFORM_API_BASES", "").split(",") if b.strip()],
}

# Secret the SMS/WeChat gateway bridge signs inbound replies and delivery receipts with; empty: those
# webhooks refuse every request (docs/notifications.md).
SHOUHOU_NOTIFY_WEBHOOK_SECRET = env_str("SHOUHOU_NOTIFY_WEBHOOK_SECRET", "")
# Proactive care messages (docs/notifications.md): the provider that sends each channel and each provider's
# options (credentials, base_url, rate_per_second, template codes), as JSON objects; unset: the local outbox.
SHOUHOU_NOTIFY_CHANNELS = env_json("SHOUHOU_NOTIFY_CHANNELS", {})
SHOUHOU_NOTIFY_PROVIDERS = env_json("SHOUHOU_NOTIFY_PROVIDERS", {})
if not isinstance(SHOUHOU_NOTIFY_CHANNELS, dict) or not isinstance(SHOUHOU_NOTIFY_PROVIDERS, dict):
    raise ImproperlyConfigured('SHOUHOU_NOTIFY_CHANNELS 与 SHOUHOU_NOTIFY_PROVIDERS 应为 JSON 对象，例如 {"sms": "aliyun_sms"}')
# Quiet hours (local hours; start > end spans midnight), messages per customer per 24 h, sending attempts and
# the first retry's wait (seconds, doubled each time): notifications.services keeps the defaults (22, 8, 3, 6,
# 60) and reads a setting only when its variable is set, so the defaults live in one place.
globals().update({f"SHOUHOU_NOTIFY_{_name}": env_int(f"SHOUHOU_NOTIFY_{_name}", 0)
                  for _name in ("QUIET_START", "QUIET_END", "DAILY_CAP", "MAX_ATTEMPTS", "BACKOFF_BASE_SECONDS")
                  if env_str(f"SHOUHOU_NOTIFY_{_name}", "").strip()})
# A negative review posted longer ago than this many days opens no recovery task (docs/reviews.md); 0 = any age.
if env_str("SHOUHOU_REVIEW_RECOVERY_WITHIN_DAYS", "").strip():
    SHOUHOU_REVIEW_RECOVERY_WITHIN_DAYS = env_int("SHOUHOU_REVIEW_RECOVERY_WITHIN_DAYS", 30)
# How customers reach the service, in messages ({service_contact}) of a shop without a service phone.
SHOUHOU_NOTIFY_SERVICE_CONTACT = env_str("SHOUHOU_NOTIFY_SERVICE_CONTACT", "")
# Kuaidi100 subscription endpoint (poll API); tests point it at a local HTTP server.
SHOUHOU_KUAIDI100_POLL_URL = env_str("SHOUHOU_KUAIDI100_POLL_URL", "https://poll.kuaidi100.com/poll")
