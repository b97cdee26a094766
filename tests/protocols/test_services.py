"""New versions and verification through the services."""

from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError

from protocols.models import ProtocolVersion
from protocols.seed import seed_protocol_library
from protocols.selectors import checklist_for, versions_awaiting_verification
from protocols.services import create_version, mark_verified
from tests import factories

pytestmark = pytest.mark.django_db


def test_it_seeds_five_families_with_checklists_and_nurse_ratios(library):
    assert set(library) == {
        "lidocaine",
        "ketamine",
        "magnesium-sulphate",
        "zoledronic-acid",
        "pamidronate",
        "methylprednisolone",
    }
    assert all(v.is_example and v.needs_verification and v.setup_minutes == 15 for v in library.values())
    assert library["ketamine"].protocol.family.nurse_ratio == 2
    assert library["lidocaine"].protocol.family.nurse_ratio == 3
    assert library["zoledronic-acid"].protocol.family == library["pamidronate"].protocol.family
    assert "History of psychosis" in checklist_for(library["ketamine"].protocol.family)
    assert checklist_for("magnesium") == ["eGFR below 30 mL/min/1.73m²", "Heart block", "Myasthenia gravis"]
    assert library["pamidronate"].max_rate_mg_per_hour == D("60")
    assert library["ketamine"].course_sessions == 5 and library["ketamine"].observation_minutes == 60


def test_seeding_twice_changes_nothing(library):
    new = create_version(from_version=library["lidocaine"], by=factories.admin_user(), default_dose=D("4"))
    assert seed_protocol_library() == 0
    assert ProtocolVersion.objects.get(protocol__slug="lidocaine", is_current=True) == new


def test_a_new_version_replaces_the_current_one_and_keeps_the_old(library, clinic_admin):
    old = library["lidocaine"]
    new = create_version(from_version=old, by=clinic_admin, soft_limit=D("4.5"), default_dose=D("4.5"))
    old.refresh_from_db()
    assert new.version == 2 and new.is_current and not old.is_current
    assert old.soft_limit == D("5") and new.soft_limit == D("4.5")
    assert new.created_by == clinic_admin and new.hard_limit == old.hard_limit
    assert new.is_example and new.needs_verification  # made from example defaults: still to verify


def test_a_new_version_with_bad_limits_is_refused_and_nothing_changes(library, clinic_admin):
    old = library["lidocaine"]
    with pytest.raises(ValidationError) as exc:
        create_version(from_version=old, by=clinic_admin, soft_limit=D("8"))
    assert "soft_limit" in exc.value.message_dict
    old.refresh_from_db()
    assert old.is_current and ProtocolVersion.objects.filter(protocol=old.protocol).count() == 1


def test_a_version_is_never_edited_in_place(library):
    v = library["lidocaine"]
    v.hard_limit = D("9")
    with pytest.raises(ValidationError):
        v.save()


def test_mark_verified_records_who_and_when(library, clinic_admin):
    v = mark_verified(version=library["lidocaine"], by=clinic_admin)
    assert v.verified_by == clinic_admin and v.verified_at is not None and not v.needs_verification
    assert library["lidocaine"] not in list(versions_awaiting_verification())
    with pytest.raises(ValidationError):
        mark_verified(version=v, by=clinic_admin)
