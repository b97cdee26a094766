"""Fixtures of the production-mode tests (gunicorn with DEBUG=false)."""

import os
import subprocess
import sys

import pytest
from django.conf import settings


@pytest.fixture(scope="session")
def collected_static(tmp_path_factory):
    """`collectstatic` with DEBUG=false into a temporary STATIC_ROOT, once a run: the hashed, compressed
    files and the manifest that production pages name (tests/foundation/test_production_mode.py,
    test_stateless_web.py)."""
    static_root = tmp_path_factory.mktemp("staticfiles")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_"))}
    env |= {
        "DJANGO_SETTINGS_MODULE": "infusion_clinic.settings",
        "DEBUG": "false",
        "SECRET_KEY": "collectstatic-only-key-2b7e151628aed2a6abf7158809cf4f3c0123456789",
        "STATIC_ROOT": str(static_root),
        "DATABASE_URL": "sqlite://:memory:",
    }
    collect = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert collect.returncode == 0, collect.stderr
    assert (static_root / "staticfiles.json").exists()
    return static_root
