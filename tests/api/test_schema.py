"""The OpenAPI 3 schema is valid, complete (every route, typed, error answers documented) and public."""

import pytest
from django.core.management import call_command
from django.test import Client


def test_schema_generates_without_warning_and_validates(tmp_path):
    # --fail-on-warn: an untyped field or an unknown authenticator would be a warning.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    assert "openapi: 3.0.3" in (tmp_path / "schema.yaml").read_text()


@pytest.mark.django_db
def test_schema_documents_every_route_and_its_errors():
    response = Client().get("/api/schema/?format=json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert set(paths) == {
        "/api/patients/",
        "/api/patients/{id}/",
        "/api/referrals/",
        "/api/referrals/{id}/",
        "/api/sessions/",
        "/api/sessions/{id}/",
        "/api/sessions/{id}/cancel/",
        "/api/sessions/{id}/observations/",
    }
    for path, operations in paths.items():
        for method, operation in operations.items():
            codes = set(operation["responses"])
            assert {"401", "403"} <= codes, (method, path)
            if method in ("post", "patch"):
                assert "400" in codes, (method, path)
            assert operation["security"] == [{"tokenAuth": []}, {"sessionAuth": []}]
