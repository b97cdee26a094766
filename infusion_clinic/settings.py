"""Settings, read from the environment (django-environ). See README.md for the variables."""

import os
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from .roles import ROLE_KEYS
from .storage import default_storage_from_env

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env("SECRET_KEY", default="")
if not SECRET_KEY:
    # manage.py marks schema-only commands (makemigrations, showmigrations...) as keyless.
    if not DEBUG and not os.environ.get("INFUSION_CLINIC_KEYLESS_COMMAND"):
        raise ImproperlyConfigured(
            "SECRET_KEY must be set when DEBUG is off. Set SECRET_KEY in the environment or in .env "
            "(see .env.example), or set DEBUG=true for a local demo."
        )
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production-0123456789abcdefghijkl"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "infusion_clinic.apps.ClinicAdminConfig",  # django.contrib.admin, for superusers only
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "simple_history",
    "phonenumber_field",
    "axes",
    "django_celery_beat",
    "pgtrigger",  # PostgreSQL triggers that keep locked records and issued invoices unchanged
    "django_otp",  # two-factor sign-in (infusion_clinic/mfa/): TOTP apps and recovery codes
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",  # Content-Security-Policy header (settings below)
    "rest_framework",  # the REST API (api/, docs/api.md)
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files served from /static/ (no CDN under the CSP)
    "infusion_clinic.apps.InfusionClinicConfig",
    # Before billing: the roles are synced after billing's post_migrate, when the audit's permission
    # must exist already (infusion_clinic/roles.py).
    "audit.apps.AuditConfig",
    "patients.apps.PatientsConfig",
    "protocols.apps.ProtocolsConfig",
    "sessions.apps.SessionsConfig",
    "records.apps.RecordsConfig",
    "followup.apps.FollowupConfig",
    # Before billing: its permission (export_subject_access) must exist when the roles are synced.
    "interop.apps.InteropConfig",
    "billing.apps.BillingConfig",
    "reports.apps.ReportsConfig",
    "staff.apps.StaffConfig",
    "api.apps.ApiConfig",
    "demo.apps.DemoConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "infusion_clinic.middleware.RejectNullCharactersMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "infusion_clinic.mfa.middleware.SecondFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "infusion_clinic.middleware.NoStoreForPatientDataMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
    "audit.idle.IdleTimeoutMiddleware",
]

ROOT_URLCONF = "infusion_clinic.urls"
WSGI_APPLICATION = "infusion_clinic.wsgi.application"

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
                "infusion_clinic.context_processors.clinic",
                "audit.context_processors.idle_timeout",
            ],
            # Project-wide filters and page parts, so that no template has to load them.
            "builtins": ["infusion_clinic.templatetags.uk_dates", "infusion_clinic.templatetags.page_parts"],
        },
    },
]

# SQLite for the zero-config demo; PostgreSQL whenever DATABASE_URL says so.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Reports may read from a read replica of the primary (a managed PostgreSQL's standby): the clinic
# report views read inside infusion_clinic.db_router.read_from_replica(); every write, and every other
# read, goes to the primary. Unset: everything uses `default`.
DATABASE_REPLICA_URL = env("DATABASE_REPLICA_URL", default="")
REPLICA_DATABASE = None
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"]["ATOMIC_REQUESTS"] = False
    DATABASES["replica"]["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
    # The test runner points the alias at the test database instead of creating one.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    REPLICA_DATABASE = "replica"
DATABASE_ROUTERS = ["infusion_clinic.db_router.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The cache. Nothing in the clinic keeps state in it today (sessions are rows in the database,
# messages ride in a cookie or the session, django-axes counts failures in the database, two-factor
# throttling is on the device row), so the per-process default is harmless; CACHE_URL (redis://...)
# makes it Django's Redis cache, shared by every web server, which is what several servers need as soon
# as anything caches or counts there.
CACHE_URL = env("CACHE_URL", default="")
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "infusion-clinic",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Stated rather than left to the defaults: what makes the web tier stateless (docs/deployment.md).
SESSION_ENGINE = "django.contrib.sessions.backends.db"
MESSAGE_STORAGE = "django.contrib.messages.storage.fallback.FallbackStorage"

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
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

# django-axes: lock an account and address out after repeated failures.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = 1  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Failures and lockouts are rows in the database, so every web server counts the same attempts.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"

# Two-factor sign-in (infusion_clinic/mfa/): the roles (keys of roles.ROLE_KEYS: reception, nurse,
# specialist, admin) whose users must sign in with a TOTP code or a recovery code after their password.
# Superusers count as every role. Empty: nobody is asked (the `make run` demo's default).
MFA_REQUIRED_ROLES = env.list("MFA_REQUIRED_ROLES", default=["admin", "nurse", "specialist"])
_unknown_roles = sorted(set(MFA_REQUIRED_ROLES) - set(ROLE_KEYS.values()))
if _unknown_roles:
    raise ImproperlyConfigured(
        f"MFA_REQUIRED_ROLES names unknown roles {', '.join(_unknown_roles)}: "
        f"use some of {', '.join(ROLE_KEYS.values())} (comma-separated), or leave it empty for none."
    )
OTP_TOTP_ISSUER = env("CLINIC_NAME", default="Riverside Pain Clinic")
# Wrong codes in a row make the next try wait 1, 2, 4, 8... seconds (django-otp's throttling).
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["infusion_clinic.formats"]
# django-phonenumber-field: "07700 900123" is read as a UK number and stored as E.164 (patients/phones.py).
PHONENUMBER_DEFAULT_REGION = "GB"
PHONENUMBER_DB_FORMAT = "E164"

STATIC_URL = "static/"
# collectstatic writes here; the Docker image and the production-mode test set their own.
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Uploaded files (referral letters) go through Django's storage API: the local MEDIA_ROOT, or an
# S3-compatible bucket when AWS_STORAGE_BUCKET_NAME is set (infusion_clinic/storage.py), which every web
# server shares. Nothing serves them directly: patients:referral_letter checks the role.
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES["default"] = default_storage_from_env(os.environ)
# A referral letter upload larger than this is refused next to the field.
REFERRAL_LETTER_MAX_MB = env.int("REFERRAL_LETTER_MAX_MB", default=10)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# Email: EMAIL_URL such as smtp+tls://user:pass@smtp.example.org:587. Unset: nothing is configured,
# and the follow-up code records deliveries as failed rather than pretending they went.
EMAIL_URL = env("EMAIL_URL", default="")
if EMAIL_URL:
    vars().update(env.email_url("EMAIL_URL"))
    EMAIL_CONFIGURED = True
else:
    EMAIL_BACKEND = (
        "django.core.mail.backends.console.EmailBackend"
        if DEBUG
        else ("django.core.mail.backends.smtp.EmailBackend")
    )
    EMAIL_CONFIGURED = DEBUG
# Seconds an SMTP connection may wait for the server (connect, greeting, each reply): without it a
# server that accepts and never answers holds a reminder worker for ever.
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT", default=10.0)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Infusion Clinic <clinic@example.org>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Celery: no broker configured means tasks run eagerly in-process (the `make run` demo).
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL or None)
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker that loses Redis keeps trying to reconnect (no limit) instead of giving up; a blackholed
# broker fails a connection attempt after a few seconds instead of the OS's minutes.
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": env.float("CELERY_BROKER_CONNECT_TIMEOUT", default=3.0)
}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = env.float("CELERY_BROKER_CONNECT_TIMEOUT", default=3.0)
# Time limits (seconds) for every task: the soft limit raises inside the task so it can record what it
# was doing, the hard one kills the worker child. The reminder tasks have their own (below).
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=300)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=360)
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# Security: the deploy values follow DEBUG, and each can be overridden.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=12 * 60 * 60)  # one clinic day
# Staff are signed out after this many minutes without a request (audit/idle.py; static/js/idle.js
# warns two minutes before).
STAFF_IDLE_TIMEOUT_MINUTES = env.int("STAFF_IDLE_TIMEOUT_MINUTES", default=15)
if STAFF_IDLE_TIMEOUT_MINUTES < 3:
    raise ImproperlyConfigured(
        "STAFF_IDLE_TIMEOUT_MINUTES must be at least 3 (the warning comes 2 minutes before)."
    )
# The access audit believes X-Forwarded-For only behind a proxy that sets it (audit/services.py).
AUDIT_TRUST_X_FORWARDED_FOR = env.bool("AUDIT_TRUST_X_FORWARDED_FOR", default=False)
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp): no inline script or style anywhere; pages load their scripts and
# styles from /static/ and set computed positions from static scripts (CSSOM is allowed). `data:` images
# are Bootstrap's own SVG icons in its CSS (select arrows, check marks, close buttons). Set
# CSP_REPORT_ONLY=true to send the same policy as Content-Security-Policy-Report-Only (violations are
# reported in the browser console but nothing is blocked), e.g. to try a new page in production first.
_CSP_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}
if env.bool("CSP_REPORT_ONLY", default=False):
    CONTENT_SECURITY_POLICY = None
    CONTENT_SECURITY_POLICY_REPORT_ONLY = _CSP_POLICY
else:
    CONTENT_SECURITY_POLICY = _CSP_POLICY

# The REST API under /api/ (api/, docs/api.md): JSON only, hashed tokens issued by clinic admins or the
# signed-in session (CSRF and the second factor enforced), the roles' permissions, bounded pages.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.HashedTokenAuthentication",
        "api.authentication.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.RolePermissions"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.SafeJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Pagination",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
    "NON_FIELD_ERRORS_KEY": "non_field_errors",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DATETIME_FORMAT": "iso-8601",
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Infusion Clinic API",
    "DESCRIPTION": "Patients, referrals, sessions and observations of the infusion clinic. "
    "Authentication, roles and errors: docs/api.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {},
}
# An API token stops working after this many days unless issued with another lifetime (api/tokens.py).
API_TOKEN_DAYS = env.int("API_TOKEN_DAYS", default=365)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # WeasyPrint notes every Bootstrap rule it does not draw (calc(), custom properties): not news.
        "weasyprint": {"level": "ERROR"},
        "fontTools": {"level": "WARNING"},
    },
}

# Clinic-wide settings (each can be overridden from the environment).
CLINIC_NAME = env("CLINIC_NAME", default="Riverside Pain Clinic")
# An eligibility assessment lapses after this many days (about 6 months) or on a >10% weight change.
ELIGIBILITY_VALID_DAYS = env.int("ELIGIBILITY_VALID_DAYS", default=183)
# A weight-based dose (mg/kg, mg/kg/h) needs a weight recorded within this many days.
DOSE_WEIGHT_MAX_AGE_DAYS = env.int("DOSE_WEIGHT_MAX_AGE_DAYS", default=90)
# A volumetric pump's own maximum rate: no rate above it is ever accepted (protocols.dosing.judge_rate).
INFUSION_PUMP_MAX_ML_PER_H = env.str("INFUSION_PUMP_MAX_ML_PER_H", default="999.9")
# Nurses on duty during opening hours on a day with no rota entered (sessions/slots.py).
DEFAULT_NURSES_ON_DUTY = env.int("DEFAULT_NURSES_ON_DUTY", default=2)

# Follow-up (followup/reminders.py, followup/messaging.py, followup/diaries.py, followup/outcomes.py).
# Reminder lead times in hours before a session; each lead time gives one reminder per channel.
REMINDER_LEAD_HOURS = sorted(env.list("REMINDER_LEAD_HOURS", cast=int, default=[48, 24]), reverse=True)
# Delivery attempts after the first, with exponential backoff, before a reminder is marked failed.
REMINDER_MAX_RETRIES = env.int("REMINDER_MAX_RETRIES", default=5)
REMINDER_RETRY_BACKOFF = env.int("REMINDER_RETRY_BACKOFF", default=30)  # seconds, doubling each retry
# Time limits (seconds) of one delivery task and of the 5-minutely batch (under the beat interval).
REMINDER_TASK_SOFT_TIME_LIMIT = env.int("REMINDER_TASK_SOFT_TIME_LIMIT", default=60)
REMINDER_TASK_TIME_LIMIT = env.int("REMINDER_TASK_TIME_LIMIT", default=90)
REMINDER_BATCH_SOFT_TIME_LIMIT = env.int("REMINDER_BATCH_SOFT_TIME_LIMIT", default=240)
REMINDER_BATCH_TIME_LIMIT = env.int("REMINDER_BATCH_TIME_LIMIT", default=280)
# SMS: a dotted path to a backend in followup/messaging.py (console and file for development, http
# for a provider). Outside DEBUG nothing is configured by default, so SMS are recorded as failed.
SMS_BACKEND = env(
    "SMS_BACKEND",
    default="followup.messaging.ConsoleSMSBackend" if DEBUG else "followup.messaging.NotConfiguredSMSBackend",
)
SMS_FILE_PATH = env("SMS_FILE_PATH", default=str(BASE_DIR / "sent_sms.jsonl"))
SMS_HTTP_URL = env("SMS_HTTP_URL", default="")  # the generic JSON POST adapter's endpoint
SMS_HTTP_TOKEN = env("SMS_HTTP_TOKEN", default="")
SMS_HTTP_TIMEOUT = env.float("SMS_HTTP_TIMEOUT", default=10.0)
SMS_SENDER = env("SMS_SENDER", default="Clinic")
# No SMS between these UK times; an SMS that falls due then waits for the end. Empty: no quiet hours.
SMS_QUIET_HOURS = env("SMS_QUIET_HOURS", default="21:00-08:00")
# Pain diary links expire after this many days; patients in follow-up get a new link this often.
DIARY_LINK_DAYS = env.int("DIARY_LINK_DAYS", default=7)
DIARY_PROMPT_EVERY_DAYS = env.int("DIARY_PROMPT_EVERY_DAYS", default=7)
# Outcome reviews fall due this many days after a course's last session (2 weeks, 6 weeks, 3 months).
OUTCOME_REVIEW_OFFSETS_DAYS = env.list("OUTCOME_REVIEW_OFFSETS_DAYS", cast=int, default=[14, 42, 91])
# Unreviewed diary entries older than this many days raise an alert to the specialists.
DIARY_REVIEW_ALERT_DAYS = env.int("DIARY_REVIEW_ALERT_DAYS", default=3)
from celery.schedules import crontab  # noqa: E402

# Periodic work (django-celery-beat copies these into its database schedule when beat starts).
CELERY_BEAT_SCHEDULE = {
    "send-due-reminders": {"task": "followup.tasks.send_due_reminders", "schedule": 5 * 60.0},
    "send-diary-prompts": {
        "task": "followup.tasks.send_diary_prompts",
        "schedule": crontab(hour=10, minute=0),
    },
    "create-outcome-reviews": {
        "task": "followup.tasks.create_due_outcome_reviews",
        "schedule": crontab(hour=6, minute=0),
    },
    "follow-up-alerts": {
        "task": "followup.tasks.send_follow_up_alerts",
        "schedule": crontab(hour=7, minute=30),
    },
}
# The address patients use, for links in messages (diary links).
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")
