from datetime import date
from decimal import Decimal

import pytest

from protocols.dosing import calculate_dose
from protocols.models import ProtocolVersion
from protocols.seed import seed_protocol_library
from tests import factories

pytestmark = pytest.mark.django_db


def test_it_seeds_six_example_versions_idempotently():
    seed_protocol_library()
    seed_protocol_library()
    assert ProtocolVersion.objects.filter(is_example=True, version=1).count() == 6


def test_the_version_factory_supersedes_the_seeded_current_version():
    seed_protocol_library()
    v = factories.ProtocolVersionFactory()
    assert v.version == 2
    assert ProtocolVersion.objects.filter(protocol=v.protocol, is_current=True).get() == v


def test_the_seeded_lidocaine_version_gives_350_mg_at_285_ml_per_hour_for_70_kg():
    seed_protocol_library()
    v = ProtocolVersion.objects.get(protocol__slug="lidocaine", is_current=True)
    r = calculate_dose(
        version=v, weight_kg=Decimal("70"), weight_recorded_on=date(2026, 11, 1), on_date=date(2026, 11, 25)
    )
    assert r.dose_mg == Decimal("350.0")
    assert r.rate_ml_per_h == Decimal("285.0")  # 250 mL + 35 mL of 10 mg/mL over 60 min
