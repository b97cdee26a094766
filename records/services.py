"""Writes to the session record: start the infusion, chart, change the rate, record adverse
events, complete, sign off and amend.

Every function takes keyword arguments, runs in one transaction, locks the session row first (so a
sign-off and a late observation cannot interleave) and raises ValidationError keyed by form field.
A record is open for charting while the patient is checked in or the infusion is in progress; once
the nurse completes it, it is locked, and after that a correction is an amendment with a reason.
"""

from datetime import datetime, time, timedelta
from decimal import Decimal

import pgtrigger
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone

from infusion_clinic.dates import uk_time
from patients import services as patient_services
from patients.models import ReferralStatus
from patients.selectors import current_prescription
from protocols import dosing
from sessions import booking
from sessions.models import InfusionSession, SessionStatus

from . import hooks
from .escalation_rules import ensure_alerts_escalated
from .models import (
    EVENT_FIELDS,
    LOCKED_RECORD_TRIGGER,
    RATE_CHANGE_FIELDS,
    RATE_KINDS,
    VITAL_FIELDS,
    Addendum,
    AdverseEvent,
    AdverseEventAction,
    Amendment,
    DoseVerdict,
    InfusionRecord,
    InfusionState,
    RateChange,
    RateChangeKind,
    VitalSigns,
)
from .selectors import delivered_so_far, rate_basis
from .times import INVALID_TIME, at_session_day, parse_time_of_day

OPEN_STATUSES = (SessionStatus.CHECKED_IN, SessionStatus.IN_PROGRESS)
LOCKED_STATUSES = (SessionStatus.COMPLETED, SessionStatus.SIGNED_OFF)

LOCKED_MESSAGE = {
    SessionStatus.COMPLETED: "This record is completed and read-only: a correction is an amendment with a reason.",
    SessionStatus.SIGNED_OFF: "This record is signed off and read-only: a correction is an amendment with a reason.",
}


def _refuse(field, message):
    raise ValidationError({field: message})


def _lock(session) -> InfusionSession:
    """Lock the session row and return it fresh, with what the checks need."""
    return (
        InfusionSession.objects.select_for_update(of=("self",))
        .select_related("patient", "referral", "protocol_version__protocol__family")
        .get(pk=session.pk)
    )


def _record(session) -> InfusionRecord | None:
    return InfusionRecord.objects.filter(session=session).first()


def _ensure_open(session):
    if session.status in LOCKED_STATUSES:
        _refuse(NON_FIELD_ERRORS, LOCKED_MESSAGE[session.status])
    if session.status == SessionStatus.BOOKED:
        _refuse(NON_FIELD_ERRORS, "Check the patient in before charting.")
    if session.status not in OPEN_STATUSES:
        _refuse(
            NON_FIELD_ERRORS,
            f"This session is {session.get_status_display().lower()}: nothing can be charted.",
        )


def _floor_minute(moment):
    return moment.replace(second=0, microsecond=0)


def charting_starts_at(session, record=None):
    """The earliest time an entry may carry: check-in, or the infusion start if there was no check-in."""
    candidates = [t for t in (session.checked_in_at, record.started_at if record else None) if t]
    return min(candidates) if candidates else None


def _check_time(field, moment, *, not_before, not_before_label):
    """Times are entered to the minute, so bounds are compared to the minute too."""
    if moment is None:
        _refuse(field, "Enter the time.")
    if moment > timezone.now():
        _refuse(field, "This time is in the future.")
    if not_before is not None and _floor_minute(moment) < _floor_minute(not_before):
        _refuse(field, f"This time is before {not_before_label} ({uk_time(not_before)}).")


def _start_treatment_clock(*, session, by, on_date):
    """The first infusion stops the referral's RTT clock. The patients' service refuses a referral that
    is not accepted; the infusion itself must not fail on that, so only an accepted (or already
    in-treatment) referral is passed on."""
    if session.referral_id is None:
        patient_services.start_treatment_for_patient(patient=session.patient, by=by, on_date=on_date)
        return
    if session.referral.status in (ReferralStatus.ACCEPTED, ReferralStatus.IN_TREATMENT):
        patient_services.start_treatment(referral=session.referral, by=by, on_date=on_date)


def _prescription(session):
    """The specialist's active prescription for this session's protocol, if there is one."""
    prescription = current_prescription(
        patient=session.patient, family=session.protocol_version.protocol.family
    )
    if (
        prescription is None
        or prescription.protocol_version.protocol_id != session.protocol_version.protocol_id
    ):
        return None
    return prescription


def dose_for(*, session, override_dose=None):
    """What the calculator says for this session today (used for the start form's preview too)."""
    weight = session.patient.weights.order_by("-recorded_on", "-id").first()
    if override_dose is None:
        prescription = _prescription(session)
        override_dose = prescription.basis_dose if prescription else None
    return dosing.calculate_dose(
        version=session.protocol_version,
        weight_kg=weight.weight_kg if weight else None,
        weight_recorded_on=weight.recorded_on if weight else None,
        on_date=timezone.localdate(),
        override_dose=override_dose,
        max_weight_age_days=dosing.default_max_weight_age_days(),
    ), weight


@transaction.atomic
def start_infusion(
    *, session, by, started_at=None, override_dose=None, soft_limit_reason: str = ""
) -> InfusionRecord:
    """Start the infusion at the calculator's dose; a refused dose cannot start, a soft one needs a reason."""
    session = _lock(session)
    _ensure_open(session)
    if session.status != SessionStatus.CHECKED_IN or _record(session) is not None:
        _refuse(NON_FIELD_ERRORS, "The infusion has already been started.")
    started_at = started_at or timezone.now()
    _check_time("started_at", started_at, not_before=session.checked_in_at, not_before_label="check-in")

    result, weight = dose_for(session=session, override_dose=override_dose)
    if result.verdict == dosing.REFUSED:
        field = "dose" if result.refused_field == dosing.FIELD_DOSE else NON_FIELD_ERRORS
        raise ValidationError({field: list(result.messages[:1]) or ["The dose is refused."]})
    reason = (soft_limit_reason or "").strip()
    if result.requires_reason and not reason:
        prescription = _prescription(session)
        if prescription is not None and prescription.basis_dose == result.basis_dose:
            reason = prescription.soft_limit_reason  # the prescriber's reason for this very dose
    if result.requires_reason and not reason:
        _refuse("soft_limit_reason", "The dose is above the soft limit: record the reason to go on.")

    preparation = result.preparation
    record = InfusionRecord(
        session=session,
        weight_kg=weight.weight_kg if weight and result.dose_per_kg is not None else None,
        basis_dose=result.basis_dose,
        basis_unit=result.basis_unit,
        dose_mg=result.dose_mg,
        volume_ml=preparation.final_volume_ml,
        drug_volume_ml=preparation.drug_volume_ml,
        rate_ml_per_h=result.rate_ml_per_h,
        current_rate_ml_per_h=result.rate_ml_per_h,
        duration_minutes=result.duration_minutes,
        dose_verdict=DoseVerdict.SOFT if result.requires_reason else DoseVerdict.OK,
        dose_reason=reason if result.requires_reason else "",
        dose_messages=list(result.messages),
        started_at=started_at,
        started_by=by,
    )
    record.full_clean()
    # The planned rate goes through the same rate rule as every later change; a rate-based dose
    # prescribed above its soft limit starts with the dose's reason.
    rate, soft_reason = _judge_rate(
        session,
        record,
        result.rate_ml_per_h,
        field="dose",
        soft_limit_reason=reason,
        reason_field="soft_limit_reason",
    )
    record._history_user = by
    record.save()
    _add_rate_change(
        session=session,
        by=by,
        kind=RateChangeKind.START,
        at=started_at,
        rate=rate,
        reason="",
        soft_limit_reason=soft_reason,
    )
    _save(session, by=by, status=SessionStatus.IN_PROGRESS)
    _start_treatment_clock(session=session, by=by, on_date=timezone.localdate(started_at))
    return record


def _add_rate_change(*, session, by, kind, at, rate, reason, soft_limit_reason=""):
    change = RateChange(
        session=session,
        kind=kind,
        changed_at=at,
        rate_ml_per_h=rate,
        reason=reason,
        above_soft_limit=bool(soft_limit_reason),
        soft_limit_reason=soft_limit_reason,
        changed_by=by,
    )
    change.full_clean()
    change._history_user = by
    change.save()
    return change


def _lock_running(session, *, states) -> tuple[InfusionSession, InfusionRecord]:
    """Lock the session of an open record whose infusion is in one of `states`."""
    session = _lock(session)
    _ensure_open(session)
    record = _record(session)
    if record is None:
        _refuse(NON_FIELD_ERRORS, "Start the infusion first.")
    if record.state not in states:
        _refuse(NON_FIELD_ERRORS, f"The infusion is {record.get_state_display().lower()}.")
    return session, record


def _change_time(changed_at, session, record):
    """When a change to the infusion happens (now unless given): not before the last change."""
    changed_at = changed_at or timezone.now()
    last = RateChange.objects.filter(session=session).order_by("-changed_at", "-id").first()
    bound, label = record.started_at, "the infusion started"
    if last is not None and last.changed_at > bound:
        bound, label = last.changed_at, "the last change to the infusion"
    _check_time("changed_at", changed_at, not_before=bound, not_before_label=label)
    return changed_at


def _save(row, *, by, **changes):
    """Change some fields of a row and save only those, with `by` in its history."""
    for name, value in changes.items():
        setattr(row, name, value)
    row._history_user = by
    row.save(update_fields=list(changes))


def _required_reason(reason):
    reason = (reason or "").strip()
    if not reason:
        _refuse("reason", "Give a reason.")
    return reason


def _judge_rate(
    session, record, rate, *, field="rate_ml_per_h", soft_limit_reason="", reason_field="soft_limit_reason"
):
    """Judge a rate with the one rate rule: refused above a hard limit, a reason above a soft one.

    Returns (rate, soft reason or "")."""
    verdict = dosing.judge_rate(rate_ml_per_h=rate, **rate_basis(session, record))
    if not verdict.allowed:
        _refuse(field, verdict.message)
    soft_reason = (soft_limit_reason or "").strip()
    if verdict.requires_reason and not soft_reason:
        _refuse(reason_field, verdict.message)
    return verdict.rate_ml_per_h, soft_reason if verdict.requires_reason else ""


@transaction.atomic
def change_rate(
    *, session, by, rate_ml_per_h, reason: str, changed_at=None, soft_limit_reason: str = ""
) -> RateChange:
    session, record = _lock_running(session, states=(InfusionState.RUNNING,))
    reason = _required_reason(reason)
    rate, soft_reason = _judge_rate(session, record, rate_ml_per_h, soft_limit_reason=soft_limit_reason)
    if rate == record.current_rate_ml_per_h:
        _refuse("rate_ml_per_h", f"The infusion already runs at {rate} mL/h.")
    changed_at = _change_time(changed_at, session, record)
    change = _add_rate_change(
        session=session,
        by=by,
        kind=RateChangeKind.RATE,
        at=changed_at,
        rate=rate,
        reason=reason,
        soft_limit_reason=soft_reason,
    )
    _save(record, by=by, current_rate_ml_per_h=rate)
    return change


@transaction.atomic
def pause_infusion(*, session, by, reason: str, changed_at=None) -> RateChange:
    session, record = _lock_running(session, states=(InfusionState.RUNNING,))
    reason = _required_reason(reason)
    changed_at = _change_time(changed_at, session, record)
    change = _add_rate_change(
        session=session, by=by, kind=RateChangeKind.PAUSE, at=changed_at, rate=0, reason=reason
    )
    _save(record, by=by, state=InfusionState.PAUSED)
    return change


@transaction.atomic
def resume_infusion(
    *, session, by, rate_ml_per_h=None, reason: str = "", changed_at=None, soft_limit_reason: str = ""
) -> RateChange:
    session, record = _lock_running(session, states=(InfusionState.PAUSED,))
    rate = rate_ml_per_h if rate_ml_per_h not in (None, "") else record.current_rate_ml_per_h
    rate, soft_reason = _judge_rate(session, record, rate, soft_limit_reason=soft_limit_reason)
    changed_at = _change_time(changed_at, session, record)
    change = _add_rate_change(
        session=session,
        by=by,
        kind=RateChangeKind.RESUME,
        at=changed_at,
        rate=rate,
        reason=(reason or "").strip(),
        soft_limit_reason=soft_reason,
    )
    _save(record, by=by, state=InfusionState.RUNNING, current_rate_ml_per_h=rate)
    return change


# Reasons that say the bag ran to its end: refused for a stop before the planned volume has run.
COMPLETE_REASONS = {
    "complete",
    "completed",
    "infusion complete",
    "infusion completed",
    "finished",
    "infusion finished",
    "bag finished",
    "bag empty",
    "done",
}


def _says_complete(reason: str) -> bool:
    words = "".join(ch for ch in reason.lower() if ch.isalnum() or ch.isspace()).split()
    return " ".join(words) in COMPLETE_REASONS


def _pump_volume(value, record):
    if value in (None, ""):
        return None
    try:
        volume = Decimal(value)
    except (ArithmeticError, TypeError, ValueError):
        _refuse("pump_volume_ml", "Enter the pump's volume infused in mL, such as 250 or 62.5.")
    if not volume.is_finite() or volume < 0:
        _refuse("pump_volume_ml", "Enter the pump's volume infused in mL (0 or more).")
    if volume != volume.quantize(Decimal("0.1")):
        _refuse("pump_volume_ml", "Pumps show the volume to 0.1 mL: enter at most one decimal place.")
    if volume > record.volume_ml * 2:
        _refuse(
            "pump_volume_ml",
            f"{volume} mL is more than twice the {record.volume_ml} mL bag: check the pump's reading.",
        )
    return volume


@transaction.atomic
def stop_infusion(*, session, by, reason: str, changed_at=None, pump_volume_ml=None) -> RateChange:
    """Stop the infusion. A stop before the planned volume has run needs a reason other than
    'complete'; the pump's own volume infused may be entered and is compared with the record's."""
    session, record = _lock_running(session, states=(InfusionState.RUNNING, InfusionState.PAUSED))
    reason = _required_reason(reason)
    pump_volume = _pump_volume(pump_volume_ml, record)
    changed_at = _change_time(changed_at, session, record)
    changes = list(RateChange.objects.filter(session=session).order_by("changed_at", "id"))
    given = delivered_so_far(record=record, changes=changes, until=changed_at)
    if not given.is_complete(rate_ml_per_h=record.rate_ml_per_h) and _says_complete(reason):
        _refuse(
            "reason",
            f"Only {given.volume_ml} of {record.volume_ml} mL ({given.dose_mg} of {record.dose_mg} mg) has "
            f"run by {_hhmm(changed_at)}: the infusion is not complete. Give the reason for stopping early.",
        )
    change = _add_rate_change(
        session=session, by=by, kind=RateChangeKind.STOP, at=changed_at, rate=0, reason=reason
    )
    _save(
        record,
        by=by,
        state=InfusionState.STOPPED,
        stopped_at=changed_at,
        stop_reason=reason,
        pump_volume_ml=pump_volume,
    )
    return change


def _save_charted(row, *, field, at, session, by) -> InfusionRecord | None:
    """Save a charted row (observations, an adverse event) timed no earlier than charting starts.

    Returns the session's infusion record (None before the infusion starts)."""
    row.full_clean()
    record = _record(session)
    _check_time(
        field,
        at,
        not_before=charting_starts_at(session, record),
        not_before_label="check-in" if session.checked_in_at else "the infusion started",
    )
    row._history_user = by
    row.save()
    return record


@transaction.atomic
def record_vital_signs(*, session, by, observed_at, **values) -> VitalSigns:
    """Chart one set of observations; NEWS2 is computed as the row is saved."""
    session = _lock(session)
    _ensure_open(session)
    unknown = set(values) - set(VITAL_FIELDS)
    if unknown:
        raise TypeError(f"unknown vital signs: {sorted(unknown)}")
    vitals = VitalSigns(
        session=session,
        observed_at=observed_at,
        recorded_by=by,
        spo2_scale2=session.patient.news2_spo2_scale2,
        **values,
    )
    _save_charted(vitals, field="observed_at", at=observed_at, session=session, by=by)
    return vitals


@transaction.atomic
def record_adverse_event(
    *, session, by, occurred_at, event_type, severity, action_taken, other_text: str = "", notes: str = ""
) -> AdverseEvent:
    """Record an adverse event. 'Paused' or 'stopped' as the action also pauses or stops the infusion."""
    session = _lock(session)
    _ensure_open(session)
    event = AdverseEvent(
        session=session,
        occurred_at=occurred_at,
        event_type=event_type,
        other_text=(other_text or "").strip(),
        severity=severity,
        action_taken=action_taken,
        notes=notes or "",
        recorded_by=by,
    )
    record = _save_charted(event, field="occurred_at", at=occurred_at, session=session, by=by)
    reason = f"Adverse event: {event.label}"
    if (
        record is not None
        and action_taken == AdverseEventAction.PAUSED
        and record.state == InfusionState.RUNNING
    ):
        pause_infusion(
            session=session, by=by, reason=reason, changed_at=max(occurred_at, _last_change_time(session))
        )
    elif (
        action_taken == AdverseEventAction.STOPPED
        and record is not None
        and record.state != InfusionState.STOPPED
    ):
        stop_infusion(
            session=session, by=by, reason=reason, changed_at=max(occurred_at, _last_change_time(session))
        )
    return event


def _last_change_time(session):
    last = RateChange.objects.filter(session=session).order_by("-changed_at", "-id").first()
    return last.changed_at if last else timezone.now() - timedelta(days=1)


@transaction.atomic
def complete_session(*, session, by, note: str = "") -> InfusionRecord:
    """The nurse completes the session: the record locks and billing hears of it in this transaction."""
    session = _lock(session)
    _ensure_open(session)
    record = _record(session)
    if record is None:
        _refuse(NON_FIELD_ERRORS, "The infusion was never started: there is nothing to complete.")
    if record.state != InfusionState.STOPPED:
        _refuse(NON_FIELD_ERRORS, "Stop the infusion before completing the session.")
    if not VitalSigns.objects.filter(session=session).exists():
        _refuse(NON_FIELD_ERRORS, "Chart at least one set of observations before completing.")
    ensure_alerts_escalated(session=session, doing="completing")
    _save(record, by=by, completed_at=timezone.now(), completed_by=by, completion_note=(note or "").strip())
    _save(session, by=by, status=SessionStatus.COMPLETED)

    for completed in hooks.on_completed:  # billing's invoice (billing/apps.py)
        completed(session=session)
    return record


@transaction.atomic
def sign_off_session(*, session, by, note: str = "") -> InfusionRecord:
    session = _lock(session)
    if session.status == SessionStatus.SIGNED_OFF:
        _refuse(NON_FIELD_ERRORS, "This record is already signed off.")
    if session.status != SessionStatus.COMPLETED:
        _refuse(NON_FIELD_ERRORS, "Only a completed session can be signed off.")
    ensure_alerts_escalated(session=session, doing="signing off")
    record = _record(session)
    _save(record, by=by, signed_off_at=timezone.now(), signed_off_by=by, signoff_note=(note or "").strip())
    _save(session, by=by, status=SessionStatus.SIGNED_OFF)
    return record


def _display(instance, field_name):
    field = instance._meta.get_field(field_name)
    value = getattr(instance, field_name)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, datetime):
        return uk_time(value)
    return str(value)


def _amend(*, instance, fields, target, by, field, value, reason, clean_value=None, follow=None) -> Amendment:
    """Correct one value of a row of a locked record; its history keeps the original and the reason.

    `clean_value(row, session, field, value)` turns the entered value into the new one and checks it
    against the rest of the record (the model field's own cleaning when not given); `follow(row,
    session, by, change_reason)` brings the record's derived fields into line, in this transaction."""
    session = _lock(instance.session)
    reason = (reason or "").strip()
    if not reason:
        _refuse("reason", "An amendment needs a reason.")
    if session.status not in LOCKED_STATUSES:
        _refuse(
            NON_FIELD_ERRORS,
            "Only a completed or signed-off record is amended; while it is open, chart a new entry instead.",
        )
    if field not in fields:
        _refuse("field", "Choose a value to amend.")
    model = type(instance)
    row = model.objects.select_for_update().get(pk=instance.pk, session=session)
    model_field = model._meta.get_field(field)
    try:
        if clean_value is None:
            new_value = model_field.clean(value, row)
        else:
            new_value = clean_value(row, session, field, value)
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            raise
        raise ValidationError({"value": exc.messages}) from None
    if getattr(row, field) == new_value:
        _refuse("value", "This is the value already recorded.")
    old_display = _display(row, field)
    setattr(row, field, new_value)
    try:
        row.full_clean()
    except ValidationError as exc:
        raise ValidationError({"value": exc.messages}) from None
    row._history_user = by
    row._change_reason = f"Amendment: {reason}"
    # The database refuses changes to a locked record's rows (LOCKED_RECORD_TRIGGER); an amendment
    # is the one change allowed, and its Amendment row is written below in this transaction.
    with pgtrigger.ignore(f"{model._meta.app_label}.{model.__name__}:{LOCKED_RECORD_TRIGGER}"):
        row.save()  # vital signs are scored again as they save
        if follow is not None:  # derived fields of the same row (a rate's soft-limit flag) follow too
            follow(row, session, by, row._change_reason)
    amendment = Amendment(
        session=session,
        field_name=field,
        field_label=str(model_field.verbose_name),
        old_value=old_display,
        new_value=_display(row, field),
        reason=reason,
        amended_by=by,
        **{target: row},
    )
    amendment.full_clean()
    amendment.save()
    return amendment


@transaction.atomic
def amend_vital_signs(*, vital_signs, by, field: str, value, reason: str) -> Amendment:
    """Correct one observed value of a locked record; NEWS2 is scored again."""
    return _amend(
        instance=vital_signs,
        fields=VITAL_FIELDS,
        target="vital_signs",
        by=by,
        field=field,
        value=value,
        reason=reason,
    )


@transaction.atomic
def amend_adverse_event(*, adverse_event, by, field: str, value, reason: str) -> Amendment:
    """Correct one value of an adverse event of a locked record."""
    return _amend(
        instance=adverse_event,
        fields=EVENT_FIELDS,
        target="adverse_event",
        by=by,
        field=field,
        value=value,
        reason=reason,
    )


def _rate_change_time(session, value):
    """A corrected time as the record's forms take it: HH:MM on the session's day (UK time)."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        value = value.strip()
        if not value:
            _refuse("value", "Enter the time as HH:MM.")
        try:
            value = parse_time_of_day(value)
        except ValidationError:
            _refuse("value", INVALID_TIME)
    if not isinstance(value, time):
        _refuse("value", INVALID_TIME)
    return at_session_day(session, value)


def _hhmm(moment):
    return uk_time(moment)


def _clean_rate_change_value(changes, record):
    """The checks of a corrected rate change, against its neighbours in `changes` (in charted order)."""

    def clean(row, session, field, value):
        index = next(i for i, c in enumerate(changes) if c.pk == row.pk)
        before = changes[:index]
        after = changes[index + 1 :]
        if field == "changed_at":
            moment = _rate_change_time(session, value)
            if _floor_minute(moment) == _floor_minute(row.changed_at):
                _refuse("value", "This is the time already recorded.")
            if before:
                bound = before[-1].changed_at
                label = (
                    "the infusion started"
                    if before[-1].kind == RateChangeKind.START
                    else "the previous change to the infusion"
                )
            else:
                bound, label = session.checked_in_at, "check-in"
            _check_time("value", moment, not_before=bound, not_before_label=label)
            if after and _floor_minute(moment) > _floor_minute(after[0].changed_at):
                _refuse(
                    "value",
                    f"This time is after the next change to the infusion ({_hhmm(after[0].changed_at)}).",
                )
            if not after and record.completed_at and moment > record.completed_at:
                _refuse(
                    "value", f"This time is after the session was completed ({_hhmm(record.completed_at)})."
                )
            return moment
        if field == "rate_ml_per_h":
            if row.kind not in RATE_KINDS:
                _refuse("field", f"'{row.get_kind_display()}' carries no rate: correct its time or reason.")
            rate = RateChange._meta.get_field(field).clean(value, row)
            verdict = dosing.judge_rate(rate_ml_per_h=rate, **rate_basis(session, record))
            if not verdict.allowed:
                _refuse("value", verdict.message)
            previous = [c for c in before if c.kind in RATE_KINDS]
            if row.kind == RateChangeKind.RATE and previous and previous[-1].rate_ml_per_h == rate:
                _refuse("value", f"The infusion already ran at {rate} mL/h before this change.")
            return rate
        text = (value or "").strip()
        if not text and row.kind not in (RateChangeKind.START, RateChangeKind.RESUME):
            _refuse("value", "A rate change, pause or stop needs its reason.")
        return RateChange._meta.get_field(field).clean(text, row)

    return clean


def _follow_rate_change(changes, record):
    """The record's fields derived from its rate changes follow the amended one: the start time and
    starting rate (START), the stop time and reason (STOP), and the current rate (the last rate)."""

    def follow(row, session, by, change_reason):
        if row.kind in RATE_KINDS:
            # An amended rate above the soft limit is flagged, with the amendment's reason.
            soft = dosing.judge_rate(
                rate_ml_per_h=row.rate_ml_per_h, **rate_basis(session, record)
            ).requires_reason
            if soft != row.above_soft_limit:
                row.above_soft_limit = soft
                row.soft_limit_reason = change_reason[:200] if soft else ""
                row._history_user = by
                row._change_reason = change_reason
                row.save(update_fields=["above_soft_limit", "soft_limit_reason"])
        current = [row if c.pk == row.pk else c for c in changes]
        values = {}
        if row.kind == RateChangeKind.START:
            values.update(started_at=row.changed_at, rate_ml_per_h=row.rate_ml_per_h)
        if row.kind == RateChangeKind.STOP:
            values.update(stopped_at=row.changed_at, stop_reason=row.reason)
        rated = [c for c in current if c.kind in RATE_KINDS]
        if rated:
            values["current_rate_ml_per_h"] = rated[-1].rate_ml_per_h
        changed = [name for name, v in values.items() if getattr(record, name) != v]
        if not changed:
            return
        for name in changed:
            setattr(record, name, values[name])
        try:
            record.full_clean()
        except ValidationError as exc:
            raise ValidationError({"value": exc.messages}) from None
        record._history_user = by
        record._change_reason = change_reason
        record.save(update_fields=changed)

    return follow


@transaction.atomic
def amend_rate_change(*, rate_change, by, field: str, value, reason: str) -> Amendment:
    """Correct the time, rate or reason of a rate change (start, pause, resume, stop) of a locked
    record. A time stays in order between its neighbours; the record's start, stop and current rate
    follow the change they come from."""
    _lock(rate_change.session)  # the session first, as every write does, then the rows it checks
    changes = list(RateChange.objects.filter(session_id=rate_change.session_id).order_by("changed_at", "id"))
    record = InfusionRecord.objects.select_for_update().get(session_id=rate_change.session_id)
    return _amend(
        instance=rate_change,
        fields=RATE_CHANGE_FIELDS,
        target="rate_change",
        by=by,
        field=field,
        value=value,
        reason=reason,
        clean_value=_clean_rate_change_value(changes, record),
        follow=_follow_rate_change(changes, record),
    )


@transaction.atomic
def add_addendum(*, session, by, text: str) -> Addendum:
    """Add a note to a completed or signed-off record; it leaves every charted value as it was."""
    session = _lock(session)
    if session.status not in LOCKED_STATUSES:
        _refuse(
            NON_FIELD_ERRORS,
            "An addendum follows a completed record; while the session is open, chart it directly.",
        )
    text = (text or "").strip()
    if not text:
        _refuse("text", "Write the addendum.")
    addendum = Addendum(session=session, text=text, added_by=by)
    addendum.full_clean()
    addendum.save()
    return addendum


def check_in_from_record(*, session, by):
    """The record page's own check-in button calls the scheduling service (sessions.booking)."""
    return booking.check_in(session=session, by=by)
