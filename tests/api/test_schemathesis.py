"""Fuzzing (schemathesis) against the API's own OpenAPI schema, through the WSGI application: every
operation gets a bounded number of generated requests (valid and invalid) from a signed-in user whose
roles may write (Reception and Nurse), and no answer may be a server error; answers must match the
schema (status code, content type, body)."""

import pytest
import schemathesis
from django.contrib.auth.models import Group
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api import tokens
from infusion_clinic.roles import NURSE

from .. import factories

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def api_schema(world):
    # As Django's test client does: the WSGI handler's request signals must not close the test's
    # database connection (its transaction holds the world).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def writer_token(world):
    user = factories.reception_user(username="fuzzer")
    user.groups.add(Group.objects.get(name=NURSE))
    _, key = tokens.issue_token(
        user=user, name="Schemathesis", by=factories.admin_user(username="fuzz-admin")
    )
    return key


# schemathesis' own pytest integration (schemathesis.pytest.from_fixture) reads a pytest internal that
# pytest 9 no longer has, so each operation's strategy is run with Hypothesis here directly.
FUZZ = settings(
    max_examples=12,
    deadline=None,
    database=None,  # nothing written into the repository
    derandomize=True,  # the same requests on every run
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def _real_ids(world) -> dict[str, int]:
    """A row that exists for each path with an {id}: generated ids almost never find one, and the
    services' refusals (a booked session cancelled twice, charting a checked-in session) are reached
    only through real rows."""
    return {
        "/api/patients/{id}/": world.patient.pk,
        "/api/referrals/{id}/": world.referral.pk,
        "/api/sessions/{id}/": world.booked.pk,
        "/api/sessions/{id}/cancel/": world.booked.pk,
        "/api/sessions/{id}/observations/": world.checked_in.pk,
    }


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_never_answers_a_server_error(world, api_schema, writer_token, mode):
    headers = {"Authorization": f"Token {writer_token}"}
    real_ids = _real_ids(world)
    failures = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) == 13
    runs = [(operation, None) for operation in operations]
    runs += [
        (operation, {"id": real_ids[operation.path]})
        for operation in operations
        # A read of one row has nothing left to make invalid once its id is fixed.
        if operation.path in real_ids and not (mode == GenerationMode.NEGATIVE and operation.method == "get")
    ]
    for operation, path_parameters in runs:

        @FUZZ
        @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
        def fuzz(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            fuzz()
        except Exception as exc:  # collect every operation's failure, then report them together
            where = f" (id {path_parameters['id']})" if path_parameters else ""
            failures.append(f"{operation.method.upper()} {operation.path}{where}: {exc}")
    assert not failures, "\n\n".join(failures)
