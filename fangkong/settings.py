"""The one settings module. Every knob is an environment variable with a safe default."""

import base64
import os
import secrets
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp import constants as csp_constants
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("FANGKONG_VAR_DIR", Path.cwd() / "var")).resolve()


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _development_secret_key(
    name: str = "secret_key", make: Callable[[], str] = lambda: secrets.token_urlsafe(50)
) -> str:
    """A random key generated once and kept under var/, so sessions survive restarts."""
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key_file = VAR_DIR / name
    if not key_file.exists():
        key_file.write_text(make())
        key_file.chmod(0o600)
    return key_file.read_text().strip()


DEBUG = _env_bool("DEBUG", False)
# In production the key comes from the environment: `fangkong check --deploy` fails without it
# (fangkong.security.checks). The generated key under var/ is for development and the demo.
SECRET_KEY_FROM_ENV = bool(os.environ.get("SECRET_KEY"))
SECRET_KEY = os.environ.get("SECRET_KEY") or _development_secret_key()
# ID numbers and mobiles are encrypted with this key (base64 of 32 bytes; fangkong.privacy.crypto).
# Production sets it in the environment (`fangkong check --deploy` fails without it); old keys, kept
# only to decrypt until `fangkong privacy_rekey` has run, go comma-separated in FANGKONG_FIELD_OLD_KEYS.
FIELD_KEY_FROM_ENV = bool(os.environ.get("FANGKONG_FIELD_KEY"))
FIELD_KEY = os.environ.get("FANGKONG_FIELD_KEY") or _development_secret_key(
    "field_key", lambda: base64.b64encode(secrets.token_bytes(32)).decode()
)
FIELD_OLD_KEYS = [k for k in os.environ.get("FANGKONG_FIELD_OLD_KEYS", "").split(",") if k.strip()]
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "csp",
    "django_htmx",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "fangkong.security",
    "fangkong.audit",
    "fangkong.org",
    "fangkong.checkins",
    "fangkong.ledger",
    "fangkong.reports",
    "fangkong.controls",
    "fangkong.notify",
    "fangkong.safety",
    "fangkong.supplies",
    "fangkong.overseas",
    "fangkong.news",
    "fangkong.dashboard",
    "fangkong.privacy",
    "fangkong.consent",
    "fangkong.retention",
    "fangkong.soak",
    "fangkong.bench",
]

# Ceiling views for `fangkong bench` (/bench/noop, /bench/insert): never on in production.
BENCH_VIEWS = _env_bool("FANGKONG_BENCH_VIEWS", False)

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Oversize bodies are refused before anything reads them (fangkong.security.middleware).
    "fangkong.security.middleware.RequestSizeLimitMiddleware",
    # A NUL character in any field is refused naming it (PostgreSQL text cannot hold one).
    "fangkong.security.middleware.NulCharacterMiddleware",
    "fangkong.security.middleware.CSPMiddleware",  # django-csp, its settings policy built once
    "fangkong.security.middleware.NoStoreMiddleware",
    "fangkong.security.outage.DatabaseOutageMiddleware",  # database down: 503 + Retry-After, not 500
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Idle and absolute session timeouts; a disabled account's session ends on its next request.
    "fangkong.security.middleware.SessionGuardMiddleware",
    # Person look-ups (roster pages, the people API) are counted per account: 429 past the limit.
    "fangkong.security.middleware.LookupRateLimitMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Sign-in lockout (django-axes) turns a locked-out attempt into the lockout page; must be last.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "fangkong.urls"
WSGI_APPLICATION = "fangkong.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "fangkong.org.context.nav",
            ],
        },
    },
]

# SQLite file under var/ by default (WAL mode, see fangkong.org.apps); PostgreSQL via DATABASE_URL.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'fangkong.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's PostgreSQL backend, its per-request health check made without a statement (see there).
    DATABASES["default"]["ENGINE"] = "fangkong.lib.postgresql"
    if os.environ.get("DB_SERVER_SIDE_BINDING", "1") == "1":
        # Parameters bound by the server: psycopg prepares a statement run five times on a connection,
        # so the hot path's statements are planned once per connection instead of on every request.
        DATABASES["default"].setdefault("OPTIONS", {}).update(server_side_binding=True, prepare_threshold=5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# django-axes first: it refuses a locked-out account before the password is even checked.
AUTHENTICATION_BACKENDS = [
    "fangkong.security.backends.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "zh-hans")
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
# Uploaded evidence (control measures, inspection findings): served only by scoped views, never
# as static files. Back it up with the database (docs/operations.md).
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))

# --- notifications (docs/notify.md) ---------------------------------------------------------------
# The site's address, so links in e-mail and group-chat messages are absolute (unset: paths).
FANGKONG_BASE_URL = os.environ.get("FANGKONG_BASE_URL", "").rstrip("/")
# Time between the rungs of the escalation ladder of an overdue ledger item.
NOTIFY_ESCALATION_HOURS = float(os.environ.get("NOTIFY_ESCALATION_HOURS", "4"))
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "fangkong@localhost")
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every request without it
STATICFILES_DIRS = [BASE_DIR / "static"]
WHITENOISE_USE_FINDERS = True

# --- web security (docs/security.md) -------------------------------------------------------------
# FANGKONG_HTTPS=1: the site is served over HTTPS (directly or behind a proxy): secure cookies, HSTS
# and a redirect of plain HTTP. SECURE_COOKIES is the older name of the same switch.
HTTPS = _env_bool("FANGKONG_HTTPS", _env_bool("SECURE_COOKIES", False))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SESSION_COOKIE_SAMESITE = "Lax"
# The CSRF secret lives in the session: the H5 page leaves no cookie but the session's.
CSRF_USE_SESSIONS = True
SECURE_SSL_REDIRECT = _env_bool("FANGKONG_SSL_REDIRECT", HTTPS)
# Behind a proxy that terminates TLS and sets X-Forwarded-Proto (and strips it from clients).
if _env_bool("FANGKONG_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = int(os.environ.get("FANGKONG_HSTS_SECONDS", str(365 * 24 * 3600 if HTTPS else 0)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("FANGKONG_HSTS_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = _env_bool("FANGKONG_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = []
if not SECURE_HSTS_PRELOAD:
    # Preloading is a decision for the whole domain, taken by its owner (docs/security.md).
    SILENCED_SYSTEM_CHECKS.append("security.W021")
# The lockout is per account, not per address: a whole factory signs in from one NAT address, and
# five typos there must not lock everyone out. Axes warns about that choice (docs/security.md).
SILENCED_SYSTEM_CHECKS.append("axes.W006")
if HTTPS and not SECURE_SSL_REDIRECT:
    # FANGKONG_SSL_REDIRECT=0: the TLS proxy in front redirects plain HTTP itself.
    SILENCED_SYSTEM_CHECKS.append("security.W008")
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Scripts only from our own static files (a template needing an inline script uses
# nonce="{{ request.csp_nonce }}"); inline styles are allowed: htmx injects its indicator style.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", csp_constants.NONCE],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Sessions: an idle timeout (sliding) and an absolute one counted from sign-in
# (fangkong.security.middleware.SessionGuardMiddleware).
SESSION_IDLE_TIMEOUT = int(os.environ.get("FANGKONG_SESSION_IDLE_SECONDS", str(30 * 60)))
SESSION_ABSOLUTE_TIMEOUT = int(os.environ.get("FANGKONG_SESSION_MAX_SECONDS", str(12 * 3600)))
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT

# Sign-in lockout (django-axes): this many failed sign-ins of one account lock it for a while.
AXES_ENABLED = _env_bool("FANGKONG_LOCKOUT", True)
AXES_FAILURE_LIMIT = int(os.environ.get("FANGKONG_LOCKOUT_FAILURES", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("FANGKONG_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "security/locked.html"
AXES_VERBOSE = False

# Person look-ups (roster pages and export, the people API): at most LIMIT per account per WINDOW
# seconds, then 429 with Retry-After. Counted in the cache: set FANGKONG_CACHE_DIR to share the
# counters between server processes on one machine.
LOOKUP_RATE_LIMIT = int(os.environ.get("FANGKONG_LOOKUP_LIMIT", "60"))
LOOKUP_RATE_WINDOW = int(os.environ.get("FANGKONG_LOOKUP_WINDOW", "60"))
LOOKUP_RATE_LIMITED_VIEWS = {"roster", "roster_export", "api:unit_people"}
CACHES = {
    "default": (
        {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": os.environ["FANGKONG_CACHE_DIR"],
        }
        if os.environ.get("FANGKONG_CACHE_DIR")
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "fangkong"}
    )
}

# Uploads: refuse anything bigger before parsing (see fangkong.lib.xlsx). A request body over
# MAX_REQUEST_BYTES is refused with 413 before it is read (fangkong.security.middleware).
IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", str(50 * 1024 * 1024)))
MAX_REQUEST_BYTES = int(os.environ.get("MAX_REQUEST_BYTES", str(IMPORT_MAX_BYTES + 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Number of independent hash chains in the audit log (see fangkong.audit.actions). A transaction
# holds one chain's head until it commits and takes one no other writer holds, so writers wait for
# an audit head only when all N are held. Changing N later is safe: rows keep their chain.
AUDIT_CHAINS = int(os.environ.get("AUDIT_CHAINS", "64"))

# A person missing this many consecutive business days gets a ledger item (checkins/scan.py).
MISSING_DAYS_ALERT = int(os.environ.get("MISSING_DAYS_ALERT", "2"))

# --- retention (docs/privacy.md "Retention") -----------------------------------------------------
# Days each class of personal data is kept before the daily purge (`fangkong purge`) deletes or
# anonymises it. Audit and access logs are never purged and must be kept at least 3 years: a smaller
# value is refused here and again by fangkong.retention.policy (for settings overridden at run time).
RETENTION_LEGAL_MINIMUM_DAYS = 1095


def _env_days(name: str, default: int, minimum: int = 1) -> int:
    from django.core.exceptions import ImproperlyConfigured

    days = int(os.environ.get(name, str(default)))
    if days < minimum:
        raise ImproperlyConfigured(f"{name}={days}: must be at least {minimum} days")
    return days


RETENTION_CHECKIN_DAYS = _env_days("RETENTION_CHECKIN_DAYS", 90)  # check-ins, trajectories
RETENTION_CLOSED_ITEM_DAYS = _env_days("RETENTION_CLOSED_ITEM_DAYS", 180)  # after an item closed
RETENTION_LEFT_PERSON_DAYS = _env_days("RETENTION_LEFT_PERSON_DAYS", 180)  # after a person left
RETENTION_NOTIFY_DAYS = _env_days("RETENTION_NOTIFY_DAYS", 180)  # inbox messages, deliveries
RETENTION_AUDIT_DAYS = _env_days("RETENTION_AUDIT_DAYS", 1095, RETENTION_LEGAL_MINIMUM_DAYS)
RETENTION_ACCESS_LOG_DAYS = _env_days("RETENTION_ACCESS_LOG_DAYS", 1095, RETENTION_LEGAL_MINIMUM_DAYS)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
