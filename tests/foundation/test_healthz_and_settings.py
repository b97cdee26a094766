import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_healthz_answers_200_with_database_and_broker_up(client, settings):
    settings.CELERY_BROKER_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_healthz_answers_503_naming_the_broker_when_it_is_down(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"] == "ok"
    assert body["broker"].startswith("unreachable")


def test_healthz_answers_503_naming_the_database_when_it_is_down(client, monkeypatch):
    from django.db import connections

    from infusion_clinic import views

    broken = dict(connections["default"].settings_dict, PORT="1", HOST="127.0.0.1")
    if broken["ENGINE"].endswith("sqlite3"):
        broken["NAME"] = "/nonexistent-dir/db.sqlite3"
    down = connections.create_connection("default")
    down.settings_dict = broken
    monkeypatch.setattr(views, "connection", down)
    response = client.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["database"].startswith("unreachable")


def _run_settings(env_overrides, *args):
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_startup_refuses_a_missing_secret_key_when_debug_is_off():
    result = _run_settings({"DEBUG": "false", "DJANGO_SETTINGS_MODULE": "infusion_clinic.settings"}, "check")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_schema_commands_run_on_a_fresh_checkout_without_a_secret_key():
    """`makemigrations --check` needs no key (it signs nothing); serving still refuses to start."""
    result = _run_settings(
        {"DJANGO_SETTINGS_MODULE": "infusion_clinic.settings"}, "makemigrations", "--check", "--dry-run"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No changes detected" in result.stdout
    served = _run_settings(
        {"DJANGO_SETTINGS_MODULE": "infusion_clinic.settings"}, "runserver", "--noreload", "127.0.0.1:1"
    )
    assert served.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in served.stderr


def test_check_deploy_is_clean_with_production_settings():
    result = _run_settings(
        {
            "DEBUG": "false",
            "DJANGO_SETTINGS_MODULE": "infusion_clinic.settings",
            "SECRET_KEY": "k8#v2Lq9!zR4wX7mN1pS6tY3uB0cE5fH8jK2lP4oQ7rT9wZa1b2c3d4e5f6g7",
            "ALLOWED_HOSTS": "clinic.example.org",
        },
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_tasks_run_in_process_when_no_broker_is_configured():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, json; django.setup(); from django.conf import settings as s; "
            "print(json.dumps([s.CELERY_TASK_ALWAYS_EAGER, s.DATABASES['default']['ENGINE']]))",
        ],
        cwd=settings.BASE_DIR,
        env={
            **{k: v for k, v in os.environ.items() if k not in ("CELERY_BROKER_URL", "DATABASE_URL")},
            "DJANGO_SETTINGS_MODULE": "infusion_clinic.settings",
            "DEBUG": "true",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [True, "django.db.backends.sqlite3"]


def test_the_favicon_is_public_and_every_page_names_it(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/img/favicon.ico"
    login = client.get("/accounts/login/").content.decode()
    assert '<link rel="icon" href="/static/img/favicon.svg" type="image/svg+xml">' in login
    assert 'rel="apple-touch-icon"' in login
