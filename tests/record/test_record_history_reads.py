"""The record page's change history reads only the versions of rows that changed
(records/selectors.py: _changed_versions): none for a record of many untouched observations."""

from datetime import timedelta

import pytest

from records.models import VitalSigns
from records.selectors import _changed_versions, record_history

from .test_views import _bulk_vitals

pytestmark = pytest.mark.django_db


def test_untouched_observations_load_no_history_rows(started_session, nurse):
    _bulk_vitals(started_session, nurse, 30)
    assert VitalSigns.history.filter(session_id=started_session.pk).count() == 30  # their creations
    assert list(_changed_versions(VitalSigns, started_session)) == []
    assert record_history(session=started_session) == []


def test_a_changed_observation_brings_every_version_of_that_row_and_no_other(started_session, nurse):
    rows = _bulk_vitals(started_session, nurse, 30)
    changed = rows[7]
    changed.heart_rate = 95
    changed.observed_at = changed.observed_at + timedelta(seconds=5)
    changed.save()
    versions = list(_changed_versions(VitalSigns, started_session))
    assert {v.id for v in versions} == {changed.pk}
    assert [v.history_type for v in versions] == ["+", "~"]
    entries = record_history(session=started_session)
    assert ("heart rate (/min)", "80", "95") in {(e.field_label, e.old, e.new) for e in entries}
