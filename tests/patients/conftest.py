from datetime import timedelta

import pytest
from django.utils import timezone

from .. import factories


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def lidocaine(db):
    return factories.ProtocolFamilyFactory(slug="lidocaine", name="Lidocaine")


@pytest.fixture
def referral(db, reception):
    from patients import services

    patient = factories.PatientFactory()
    return services.create_referral(
        patient=patient,
        created_by=reception,
        source="gp",
        gp_practice_name="Riverside Medical Practice",
        gp_practice_ods="P84001",
        received_on=timezone.localdate() - timedelta(weeks=3),
        condition="neuropathic",
        letter_text="Dear colleague, please see this patient.",
        funding_route="nhs",
        commissioner=factories.CommissionerFactory(),
    )


def referral_in(status, *, by, **kwargs):
    """A referral moved through the real services to `status`."""
    from patients import services

    referral = factories.ReferralFactory(**kwargs)
    path = {
        "received": [],
        "triaged": ["triage"],
        "awaiting_assessment": ["triage", "request_assessment"],
        "accepted": ["triage", "request_assessment", "accept"],
        "declined": ["triage", "decline"],
        "in_treatment": ["triage", "request_assessment", "accept", "start"],
        "discharged": ["triage", "request_assessment", "accept", "start", "discharge"],
    }[status]
    for step in path:
        if step == "start":
            services.start_treatment(referral=referral, by=by, on_date=timezone.localdate())
        else:
            services.apply_action(referral=referral, action=step, by=by, note="because")
    return referral
