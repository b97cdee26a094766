"""Settings for the test suite: the real settings with a test key and fast hashing."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-key-9f2c1e7b5a3d8f6e4c2b0a9f8e7d6c5b4a3f2e1d0c9b8a7f")
os.environ.setdefault("DEBUG", "false")

from .settings import *  # noqa: E402,F403
from .settings import DATABASES  # noqa: E402

# The production default, whatever the environment says (`make run` empties it for the demo).
MFA_REQUIRED_ROLES = ["admin", "nurse", "specialist"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
EMAIL_CONFIGURED = True
# Tests run tasks in-process unless a test starts a real worker (tests/conftest.py: celery_worker).
CELERY_TASK_ALWAYS_EAGER = os.environ.get("CELERY_TASK_ALWAYS_EAGER", "true").lower() in ("1", "true", "yes")
CONN_MAX_AGE = 0
DATABASES["default"]["CONN_MAX_AGE"] = 0
# The read replica's alias always exists in tests, as a mirror of the test database (the runner points
# it there); reports read from it only where a test sets REPLICA_DATABASE = "replica" (or the environment
# gives DATABASE_REPLICA_URL). tests/reports/test_read_replica.py.
DATABASES.setdefault("replica", {**DATABASES["default"]})
DATABASES["replica"]["CONN_MAX_AGE"] = 0
DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
MEDIA_ROOT = os.path.join(os.environ.get("TMPDIR", "/tmp"), "infusion-clinic-test-media")
# Serve static files from the app folders (no collectstatic in tests).
STATIC_ROOT = None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# `make lint`: django-migration-linter refuses backward-incompatible migrations (a column dropped or
# renamed, NOT NULL without a default...) unless acknowledged here, by name, with the reason.
INSTALLED_APPS = [*INSTALLED_APPS, "django_migration_linter"]  # noqa: F405
MIGRATION_LINTER_ACKNOWLEDGED = {
    # migration name: why it is safe
    "0002_pricing_invoices": "billing: insurer address and email as NOT NULL text before the first release",
    "0006_amend_adverse_events": "infusion_sessions: CharField to TextField widens; old code reads it unchanged",
    "0009_infusion_safety": "infusion_sessions: the NOT NULL columns (above_soft_limit, soft_limit_reason) "
    "come with defaults (False, ''), so old code inserting without them still works",
    "0005_alert_observation_interval": "protocols: NOT NULL with a default of 5 minutes; old code inserts "
    "without it",
    "0007_diary_link_revocation_and_one_entry_a_day": "patients: the unique (link, day) constraint is on a "
    "new nullable column, so existing rows (day NULL) never clash; the diary entry table is small",
}
MIGRATION_LINTER_OPTIONS = {
    "exclude_apps": [
        "admin",
        "auth",
        "contenttypes",
        "sessions",
        "django_celery_beat",
        "axes",
        "pgtrigger",
        "otp_totp",
        "otp_static",
    ],
    "ignore_name": list(MIGRATION_LINTER_ACKNOWLEDGED),
    "no_cache": True,
}
