"""The dose calculator: a pure function of a protocol version, a dated weight and an optional override.

It reads nothing from the database (only the version's own fields), so it is safe to call for a live
preview, at prescribing, and again when an infusion starts.

Units. A version's doses (default, soft and hard limits) are in the version's unit, given by its
dose basis: mg/kg, mg/kg/h (ketamine: a rate over the whole infusion) or mg (fixed doses; magnesium's
grams are stored as mg). The absolute maximum and the maximum rate are always in mg and mg/h.

Rules (DOMAIN.md):
- mg/kg: dose = dose x weight. mg/kg/h: dose = rate x weight x infusion hours. Fixed: weight ignored.
- A weight-based dose needs a weight recorded on a known date no older than
  DOSE_WEIGHT_MAX_AGE_DAYS (default 90) before the dose date. Without one it is refused: the
  calculator never guesses a weight.
- The limits are checked on the prescribed dose in the version's unit, unrounded: equal to the soft
  limit is within limits; above it (even by 0.001) needs a reason; above the hard limit is refused.
- Absolute maximum per session: a weight-based dose that would exceed it is capped at it (DOMAIN.md:
  "session dose = rate x weight x hours, capped by the absolute maximum") and the messages say so.
  A fixed dose above it is refused (the prescriber typed that number; there is nothing to cap).
- A maximum rate in mg/h (pamidronate: 60 mg/h) is never exceeded: a dose that would run faster over
  the version's duration is refused, with the duration it would need.

Rounding. Limits are compared on exact Decimals. Reported figures are rounded ROUND_HALF_UP:
dose_mg, volume_ml and rate_ml_per_h to 0.1; dose_per_kg and rate_mg_per_h to 0.01. Capped doses
are exactly the absolute maximum, so rounding never lifts a dose over a limit.
"""

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings

from .models import DoseBasis

WITHIN_LIMITS = "ok"
OVER_SOFT_LIMIT = "soft"
REFUSED = "refused"

EXAMPLE_MESSAGE_START = "Example defaults: verify locally."

VERDICT_LABELS = {
    WITHIN_LIMITS: "Within limits",
    OVER_SOFT_LIMIT: "Over the soft limit: a reason is required",
    REFUSED: "Refused",
}

# Which input a refusal is about, so that a form can show it next to the right field.
FIELD_WEIGHT = "weight"
FIELD_DOSE = "dose"

# The adult clinic's accepted weights (DOMAIN.md, physiological ranges).
MIN_WEIGHT_KG = Decimal("20")
MAX_WEIGHT_KG = Decimal("300")

TENTH = Decimal("0.1")
HUNDREDTH = Decimal("0.01")
SIXTY = Decimal("60")


def _round(value: Decimal | None, step: Decimal = TENTH) -> Decimal | None:
    return None if value is None else value.quantize(step, rounding=ROUND_HALF_UP)


def _fmt(value: Decimal) -> str:
    """A Decimal without trailing zeros: 5, 0.5, 7.25."""
    text = format(value.normalize(), "f")
    return text


@dataclass(frozen=True)
class DoseResult:
    """What a prescriber, a nurse and the pump need to know about one dose.

    dose_mg is None only when the dose could not be computed (refused: no usable weight or a bad
    input); otherwise it is the session dose in mg, rounded to 0.1 mg.
    """

    dose_mg: Decimal | None
    dose_per_kg: Decimal | None  # mg per kg actually given (after any cap); None for fixed doses
    basis_dose: Decimal | None  # the prescribed dose in the version's unit (mg/kg, mg/kg/h or mg)
    basis_unit: str  # "mg/kg", "mg/kg/h" or "mg"
    volume_ml: Decimal  # volume infused: the diluent bag
    rate_ml_per_h: Decimal  # pump rate: volume / duration in hours
    rate_mg_per_h: Decimal | None
    duration_minutes: int
    verdict: str  # WITHIN_LIMITS, OVER_SOFT_LIMIT or REFUSED
    messages: tuple[str, ...] = ()
    capped: bool = False  # the weight-based dose was reduced to the absolute maximum
    needs_verification: bool = False  # the version holds example defaults not yet verified locally
    refused_field: str | None = None  # FIELD_WEIGHT or FIELD_DOSE when refused

    @property
    def requires_reason(self) -> bool:
        return self.verdict == OVER_SOFT_LIMIT

    @property
    def allowed(self) -> bool:
        return self.verdict != REFUSED

    @property
    def verdict_label(self) -> str:
        return VERDICT_LABELS[self.verdict]


def default_max_weight_age_days() -> int:
    return getattr(settings, "DOSE_WEIGHT_MAX_AGE_DAYS", 90)


def _to_decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, float):
        value = repr(value)
    try:
        result = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError(f"not a number: {value!r}") from None
    if not result.is_finite():
        raise ValueError(f"not a finite number: {value!r}")
    return result


def calculate_dose(
    *,
    version,
    weight_kg=None,
    weight_recorded_on: date | None = None,
    on_date: date,
    override_dose=None,
    max_weight_age_days: int | None = None,
) -> DoseResult:
    """Compute the dose for one session of `version` and judge it against the version's limits."""
    if max_weight_age_days is None:
        max_weight_age_days = default_max_weight_age_days()
    basis = version.dose_basis
    unit = "mg" if basis == DoseBasis.FIXED_MG else DoseBasis(basis).label
    minutes = int(version.infusion_minutes)
    hours = Decimal(minutes) / SIXTY
    volume = Decimal(version.diluent_volume_ml)
    rate_ml = _round(volume / hours) if minutes > 0 else Decimal("0")
    messages: list[str] = []
    needs_verification = bool(version.is_example and version.verified_at is None)
    if needs_verification:
        messages.append(f"{EXAMPLE_MESSAGE_START} A clinic admin has not yet verified this version.")

    def refuse(text: str, field: str, *, dose_mg=None, basis_dose=None, dose_per_kg=None, rate_mg=None):
        return DoseResult(
            dose_mg=_round(dose_mg),
            dose_per_kg=_round(dose_per_kg, HUNDREDTH),
            basis_dose=basis_dose,
            basis_unit=unit,
            volume_ml=_round(volume),
            rate_ml_per_h=rate_ml,
            rate_mg_per_h=_round(rate_mg, HUNDREDTH),
            duration_minutes=minutes,
            verdict=REFUSED,
            messages=(text, *messages),
            needs_verification=needs_verification,
            refused_field=field,
        )

    try:
        override = _to_decimal(override_dose)
        weight = _to_decimal(weight_kg)
    except ValueError as exc:
        return refuse(f"The dose or weight is not a number ({exc}).", FIELD_DOSE)

    basis_dose = override if override is not None else Decimal(version.default_dose)
    if basis_dose <= 0:
        return refuse(f"The dose must be greater than zero {unit}.", FIELD_DOSE, basis_dose=basis_dose)
    if minutes <= 0 or volume <= 0:
        return refuse(
            "This protocol version has no usable duration or volume; it cannot be given.",
            FIELD_DOSE,
            basis_dose=basis_dose,
        )

    weight_based = basis in (DoseBasis.MG_PER_KG, DoseBasis.MG_PER_KG_PER_HOUR)
    if weight_based:
        if weight is None:
            return refuse(
                f"No weight recorded: a {unit} dose needs a weight recorded within "
                f"{max_weight_age_days} days. Record the patient's weight first.",
                FIELD_WEIGHT,
                basis_dose=basis_dose,
            )
        if weight_recorded_on is None:
            return refuse(
                "The weight has no date: a weight-based dose needs a dated weight.",
                FIELD_WEIGHT,
                basis_dose=basis_dose,
            )
        if not (MIN_WEIGHT_KG <= weight <= MAX_WEIGHT_KG):
            return refuse(
                f"A weight of {_fmt(weight)} kg is outside the accepted {MIN_WEIGHT_KG}-{MAX_WEIGHT_KG} kg.",
                FIELD_WEIGHT,
                basis_dose=basis_dose,
            )
        if weight_recorded_on > on_date:
            return refuse(
                f"The weight was recorded on {weight_recorded_on:%d %b %Y}, after the dose date "
                f"{on_date:%d %b %Y}.",
                FIELD_WEIGHT,
                basis_dose=basis_dose,
            )
        age = (on_date - weight_recorded_on).days
        if age > max_weight_age_days:
            return refuse(
                f"The latest weight ({_fmt(weight)} kg on {weight_recorded_on:%d %b %Y}) is {age} days old; "
                f"a {unit} dose needs a weight from the last {max_weight_age_days} days. Weigh the patient again.",
                FIELD_WEIGHT,
                basis_dose=basis_dose,
            )
        raw_mg = basis_dose * weight
        if basis == DoseBasis.MG_PER_KG_PER_HOUR:
            raw_mg = raw_mg * hours
    else:
        raw_mg = basis_dose

    soft = Decimal(version.soft_limit)
    hard = Decimal(version.hard_limit)
    absolute_max = Decimal(version.absolute_max_mg)

    if basis_dose > hard:
        return refuse(
            f"{_fmt(basis_dose)} {unit} is above the hard limit of {_fmt(hard)} {unit}: refused.",
            FIELD_DOSE,
            dose_mg=raw_mg,
            basis_dose=basis_dose,
            dose_per_kg=raw_mg / weight if weight_based else None,
        )

    capped = False
    dose_mg = raw_mg
    if raw_mg > absolute_max:
        if not weight_based:
            return refuse(
                f"{_fmt(raw_mg)} mg is above the absolute maximum of {_fmt(absolute_max)} mg per session: refused.",
                FIELD_DOSE,
                dose_mg=raw_mg,
                basis_dose=basis_dose,
            )
        capped = True
        dose_mg = absolute_max
        messages.insert(
            0,
            f"Capped at the absolute maximum of {_fmt(absolute_max)} mg per session "
            f"({_fmt(basis_dose)} {unit} x {_fmt(weight)} kg would be {_fmt(_round(raw_mg))} mg).",
        )

    rate_mg = dose_mg / hours
    max_rate = version.max_rate_mg_per_hour
    if max_rate is not None and rate_mg > Decimal(max_rate):
        needed = (dose_mg / Decimal(max_rate) * SIXTY).to_integral_value(rounding=ROUND_CEILING)
        return refuse(
            f"{_fmt(_round(dose_mg))} mg over {minutes} min runs at {_fmt(_round(rate_mg, HUNDREDTH))} mg/h, "
            f"above the maximum rate of {_fmt(Decimal(max_rate))} mg/h: it needs at least {needed} minutes.",
            FIELD_DOSE,
            dose_mg=dose_mg,
            basis_dose=basis_dose,
            dose_per_kg=dose_mg / weight if weight_based else None,
            rate_mg=rate_mg,
        )

    if basis_dose > soft:
        verdict = OVER_SOFT_LIMIT
        messages.insert(
            0,
            f"{_fmt(basis_dose)} {unit} is above the soft limit of {_fmt(soft)} {unit} "
            f"(hard limit {_fmt(hard)} {unit}): record a reason to go on.",
        )
    else:
        verdict = WITHIN_LIMITS

    return DoseResult(
        dose_mg=_round(dose_mg),
        dose_per_kg=_round(dose_mg / weight, HUNDREDTH) if weight_based else None,
        basis_dose=basis_dose,
        basis_unit=unit,
        volume_ml=_round(volume),
        rate_ml_per_h=rate_ml,
        rate_mg_per_h=_round(rate_mg, HUNDREDTH),
        duration_minutes=minutes,
        verdict=verdict,
        messages=tuple(messages),
        capped=capped,
        needs_verification=needs_verification,
    )
