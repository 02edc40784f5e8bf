"""Teller settings, read from the environment (django-environ).

Without DATABASE_URL Teller runs on an SQLite file; without REDIS_URL Celery runs tasks eagerly.
TELLER_PRODUCTION=true switches on the production hardening that `manage.py check --deploy` checks.
"""

from pathlib import Path

import environ
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

PRODUCTION = env.bool("TELLER_PRODUCTION", default=False)
DEBUG = env.bool("DEBUG", default=not PRODUCTION)
SECRET_KEY = env.str(
    "SECRET_KEY", default="" if PRODUCTION else "dev-insecure-teller-secret-key-change-me-0123456789"
)
if not SECRET_KEY:
    raise environ.ImproperlyConfigured("SECRET_KEY must be set when TELLER_PRODUCTION is on")
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=[] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Key for provider secrets and bot tokens at rest (Fernet, urlsafe base64 of 32 bytes). In development it is
# derived from SECRET_KEY; production must set it explicitly so rotating SECRET_KEY does not lose the secrets.
FIELD_ENCRYPTION_KEY = env.str("FIELD_ENCRYPTION_KEY", default="")
if PRODUCTION and not FIELD_ENCRYPTION_KEY:
    raise environ.ImproperlyConfigured("FIELD_ENCRYPTION_KEY must be set when TELLER_PRODUCTION is on")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_filters",
    "axes",
    "common",
    "merchants",
    "customers",
    "purchases",
    "transactions",
    "refunds",
    "providers",
    "access",
    "audit",
    "desk",  # top level: the customers list, the customer page and the transaction page (read every app)
    "merchant_settings",  # top level: Settings pages and the history import (above providers)
    "exports",  # top level: CSV exports of the lists (reads customers, transactions, purchases, audit)
    "search",  # top level: the global search (reads customers, transactions and providers)
    "attention",  # top level: the "Needs attention" queue (reads the domain apps and providers)
]
# The sandbox (embedded provider, Stripe-shaped builders, simulations, pay page, seed_demo) serves only the
# demo and the tests: off in production, so no merchant there can reach a provider that moves no money.
TELLER_SANDBOX = env.bool("TELLER_SANDBOX", default=not PRODUCTION)
if TELLER_SANDBOX:
    INSTALLED_APPS.append("sandbox")

MIDDLEWARE = [
    "common.health.HealthCheckMiddleware",  # probes by IP: before ALLOWED_HOSTS and the HTTPS redirect
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "common.middleware.RequestIdMiddleware",
    "common.machine_endpoints.MachineEndpointMiddleware",  # webhooks: no session, user, CSRF, ... below
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "merchants.middleware.CurrentMerchantMiddleware",
    "common.replica.ReplicaReadsMiddleware",  # after the session and the user: read-your-writes needs both
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
MACHINE_URLCONF = "config.machine_urls"  # the webhooks alone: common.machine_endpoints
WSGI_APPLICATION = "config.wsgi.application"

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
                "django.template.context_processors.csp",
                "merchants.context_processors.merchant",
                "transactions.context_processors.disputes",
            ],
            "builtins": ["common.templatetags.money"],
        },
    },
]

DATABASES = {
    "default": env.db_url_config(
        env.str("DATABASE_URL", default="") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
    )
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Persistent connections (web and worker): a new PostgreSQL connection per request or task costs more than
# the work itself. Health checks replace a connection the server dropped before it is used.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the dev server and an eager worker share the file.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;"}
    )
# A streaming replica for the lists, the search and the customer page's tabs (common/replica.py).
if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db_url_config(env.str("DATABASE_REPLICA_URL"))
    DATABASES["replica"].setdefault("CONN_MAX_AGE", DATABASES["default"]["CONN_MAX_AGE"])
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["replica"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 2)
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}  # the suite's replica tests attach a real one
DATABASE_ROUTERS = ["common.replica.ReplicaRouter"]
TELLER_REPLICA_VIEWS = frozenset(
    {
        "customers:list",
        "customers:detail",
        "customers:detail-header",
        "customers:detail-products",
        "customers:purchase-transactions",
        "customers:detail-payment-methods",
        "customers:identifier-log",
        "transactions:list",
        "transactions:detail",
        "transactions:disputes",
        "audit:list",
        "providers:events",
        "providers:event-detail",
        "purchases:access-codes",
        "access:chats",
    }
)
IS_POSTGRES = DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "merchants.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sessions end after inactivity; the key rotates at login (Django's default cycle_key).
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = 0.25  # hours
# By account, and by address together with account: never by address alone, or one typo-prone visitor (or
# an attacker) behind an office NAT would lock out every staff member behind that address.
AXES_LOCKOUT_PARAMETERS = ["username", ["ip_address", "username"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
AXES_LOCKOUT_TEMPLATE = "merchants/lockout.html"  # a real page (429), not axes' bare text

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded and generated files (export CSVs under exports/): never served as static media, only by views
# that check the merchant and the role.
MEDIA_ROOT = env.path("TELLER_MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Django 6.1's MAILERS (EMAIL_BACKEND is deprecated); the environment variable keeps its familiar name.
# Development prints mail to the console; production sends through SMTP (Django 6.1 refuses a dev backend
# there).
EMAIL_BACKEND_PATH = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
MAILERS = {"default": {"BACKEND": EMAIL_BACKEND_PATH}}
if EMAIL_BACKEND_PATH.endswith("smtp.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {
        "host": env.str("EMAIL_HOST", default="localhost"),
        "port": env.int("EMAIL_PORT", default=587),
        "username": env.str("EMAIL_HOST_USER", default=""),
        "password": env.str("EMAIL_HOST_PASSWORD", default=""),
        "use_tls": env.bool("EMAIL_USE_TLS", default=True),
        "timeout": 10,
    }
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Teller <no-reply@teller.local>")

# Content-Security-Policy (Django 6): no inline scripts or styles anywhere.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz/?$"]

# Celery: eager without a broker, so the whole pipeline runs on a laptop.
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_HIJACK_ROOT_LOGGER = False  # workers keep the JSON logging configured below
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 3600,
    "socket_timeout": 2,
    "socket_connect_timeout": 2,
}
CELERY_BEAT_SCHEDULE = {
    "sweep-received-events": {"task": "providers.tasks.sweep_received_events", "schedule": 60.0},
    "sweep-waiting-events": {"task": "providers.tasks.sweep_waiting_events", "schedule": 60.0},
    # Access that runs out (access codes) must end within a minute: swept every 30 s.
    "expire-access": {"task": "purchases.tasks.expire_access", "schedule": 30.0},
    "sweep-telegram-updates": {"task": "access.tasks.sweep_received_updates", "schedule": 60.0},
    "retry-pending-revocations": {"task": "access.tasks.retry_pending_revocations", "schedule": 300.0},
    "reconcile-pending-credits": {"task": "refunds.tasks.reconcile_pending_credits", "schedule": 120.0},
    "expire-repayment-links": {"task": "refunds.tasks.expire_repayment_links", "schedule": 600.0},
    "worker-heartbeat": {"task": "common.tasks.heartbeat", "schedule": 30.0},
    "resume-stalled-imports": {"task": "merchant_settings.tasks.resume_stalled_imports", "schedule": 60.0},
    # Export files are deleted a day after they were made; a job whose worker died is queued again.
    "expire-exports": {"task": "exports.tasks.expire_exports", "schedule": 300.0},
}

CACHES = {
    "default": (
        {"BACKEND": "common.cache.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Providers. STRIPE_API_BASE points the SDK at another server (localstripe in tests).
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")
STRIPE_WEBHOOK_TOLERANCE = 300
# An event whose parent (its charge, invoice...) has not arrived after this many seconds gets the parent
# fetched from the provider (providers/parents.py). Stripe's out-of-order deliveries are seconds to minutes.
TELLER_INBOX_FETCH_PARENT_AFTER = env.int("TELLER_INBOX_FETCH_PARENT_AFTER", default=180)
TELEGRAM_API_BASE = env.str("TELEGRAM_API_BASE", default="https://api.telegram.org")
# An export of more rows than this runs in the background (an ExportJob) instead of streaming at once.
TELLER_EXPORT_BACKGROUND_ROWS = env.int("TELLER_EXPORT_BACKGROUND_ROWS", default=10_000)
TELLER_PUBLIC_URL = env.str("TELLER_PUBLIC_URL", default="http://127.0.0.1:8000")

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
# Structured JSON logs (structlog): one JSON object per line with request_id, merchant and actor.
from common.logging import logging_config  # noqa: E402  (no Django imports: safe at settings time)

LOGGING = logging_config(LOG_LEVEL)
