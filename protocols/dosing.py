"""The dose calculator: a pure function of a protocol version, a dated weight and an optional override.

It reads nothing from the database (only the version's own fields), so it is safe to call for a live
preview, at prescribing, and again when an infusion starts.

Units. A version's doses (default, soft and hard limits) are in the version's unit, given by its
dose basis: mg/kg, mg/kg/h (ketamine: a rate over the whole infusion) or mg (fixed doses; magnesium's
grams are stored as mg). The absolute maximum and the maximum rate are always in mg and mg/h.

Rules (docs/clinical-reference.md#protocol-defaults):
- mg/kg: dose = dose x weight. mg/kg/h: dose = rate x weight x infusion hours. Fixed: weight ignored.
- A weight-based dose needs a weight recorded on a known date no older than
  DOSE_WEIGHT_MAX_AGE_DAYS (default 90) before the dose date. Without one it is refused: the
  calculator never guesses a weight.
- The limits are checked on the prescribed dose in the version's unit, unrounded: equal to the soft
  limit is within limits; above it (even by 0.001) needs a reason; above the hard limit is refused.
- Absolute maximum per session: a weight-based dose that would exceed it is capped at it (ketamine:
  "session dose = rate x weight x hours, capped by the absolute maximum") and the messages say so.
  A fixed dose above it is refused (the prescriber typed that number; there is nothing to cap).
- A maximum rate in mg/h (pamidronate: 60 mg/h) is never exceeded: a dose that would run faster over
  the version's duration is refused, with the duration it would need.

Rounding. The arithmetic is exact (fractions of minutes and hours, never 0.5833...); limits are
compared on the exact values. Reported figures are rounded ROUND_HALF_UP: dose_mg, volume_ml and
rate_ml_per_h to 0.1; dose_per_kg and rate_mg_per_h to 0.01. Capped doses are exactly the absolute
maximum, so rounding never lifts a dose over a limit; a limit shown in mL/h is rounded down.

Preparation, rate limits while the drug runs and the dose delivered live here too (prepare,
rate_limits, judge_rate, delivered), so that the prescription, the record and the print agree; the
seeded rate limits are in docs/clinical-reference.md#rate-limits.
See docs/clinical-safety/hazard-log.md for the hazards these functions control.
"""

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction

from django.conf import settings

from infusion_clinic.dates import uk_date

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

# The adult clinic's accepted weights (docs/clinical-reference.md#physiological-ranges).
MIN_WEIGHT_KG = Decimal("20")
MAX_WEIGHT_KG = Decimal("300")

TENTH = Decimal("0.1")
HUNDREDTH = Decimal("0.01")
SIXTY = Decimal("60")


def _round(value: Decimal | Fraction | None, step: Decimal = TENTH) -> Decimal | None:
    """ROUND_HALF_UP of the exact value: 9.45 mg shows 9.5, whatever the route to it."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value.quantize(step, rounding=ROUND_HALF_UP)
    scaled = Fraction(value) / Fraction(step)
    whole = math.floor(abs(scaled) + Fraction(1, 2))
    return (Decimal(whole if scaled >= 0 else -whole) * step).quantize(step)


def _round_down(value: Fraction, step: Decimal = TENTH) -> Decimal:
    """A limit shown to a pump's 0.1 mL/h never rounds up past the exact limit."""
    return (Decimal(math.floor(Fraction(value) / Fraction(step))) * step).quantize(step)


def _fmt(value: Decimal) -> str:
    """A Decimal without trailing zeros: 5, 0.5, 7.25."""
    text = format(Decimal(value).normalize(), "f")
    return text


@dataclass(frozen=True)
class Preparation:
    """How the bag is made up: the drug drawn up, the diluent, the final volume the pump runs.

    The drug is added to the diluent bag, so the pump's volume to be infused (VTBI) is the diluent
    plus the drug. Where the version has no stock concentration (a ready-to-infuse product), the
    drug volume is unknown and the final volume is the stated diluent volume.
    """

    dose_mg: Decimal
    drug: str
    concentration_mg_per_ml: Decimal | None  # stock concentration drawn up from
    drug_volume_ml: Decimal | None  # dose / concentration, to 0.1 mL
    diluent: str
    diluent_volume_ml: Decimal
    final_volume_ml: Decimal  # what the pump infuses (VTBI)
    duration_minutes: int
    rate_ml_per_h: Decimal  # the planned pump rate: final volume over the planned duration

    @property
    def bag_mg_per_ml(self) -> Fraction:
        return Fraction(self.dose_mg) / Fraction(self.final_volume_ml)

    @property
    def draw_up(self) -> str:
        if self.drug_volume_ml is None:
            return f"{_fmt(self.dose_mg)} mg {self.drug}"
        return (
            f"Draw up {_fmt(self.drug_volume_ml)} mL of {self.drug} {_fmt(self.concentration_mg_per_ml)} mg/mL "
            f"({_fmt(self.dose_mg)} mg)"
        )

    @property
    def text(self) -> str:
        """One line for the prescription, the record and the print."""
        if self.drug_volume_ml is None:
            return (
                f"{self.draw_up} in {_fmt(self.diluent_volume_ml)} mL {self.diluent} (no stock concentration "
                "in the protocol: make up as the product's leaflet says)"
            )
        return (
            f"{self.draw_up} and add to {_fmt(self.diluent_volume_ml)} mL {self.diluent}: "
            f"{_fmt(self.final_volume_ml)} mL in the bag"
        )


def prepare(*, version, dose_mg, weight_kg=None) -> Preparation:
    """The preparation of `dose_mg` (the rounded dose that goes in the bag) for `version`; the pump
    rate is the planned one of rate_limits, so the two never disagree."""
    dose = Decimal(dose_mg)
    minutes = int(version.infusion_minutes)
    diluent_volume = Decimal(version.diluent_volume_ml)
    concentration = version.concentration_mg_per_ml
    drug_volume = None
    final = diluent_volume
    if concentration:
        drug_volume = _round(Fraction(dose) / Fraction(concentration))
        final = diluent_volume + drug_volume
    return Preparation(
        dose_mg=dose,
        drug=version.drug,
        concentration_mg_per_ml=Decimal(concentration) if concentration else None,
        drug_volume_ml=drug_volume,
        diluent=version.diluent,
        diluent_volume_ml=diluent_volume,
        final_volume_ml=final,
        duration_minutes=minutes,
        rate_ml_per_h=rate_limits(
            version=version, dose_mg=dose, volume_ml=final, weight_kg=weight_kg
        ).planned_ml_per_h,
    )


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
    volume_ml: Decimal  # the final bag volume the pump infuses (diluent plus the drug drawn up)
    rate_ml_per_h: Decimal  # pump rate: final volume / duration in hours
    rate_mg_per_h: Decimal | None
    duration_minutes: int
    verdict: str  # WITHIN_LIMITS, OVER_SOFT_LIMIT or REFUSED
    messages: tuple[str, ...] = ()
    capped: bool = False  # the weight-based dose was reduced to the absolute maximum
    needs_verification: bool = False  # the version holds example defaults not yet verified locally
    refused_field: str | None = None  # FIELD_WEIGHT or FIELD_DOSE when refused
    preparation: Preparation | None = None  # how to make up the bag (None when refused)
    weight_kg: Decimal | None = None  # the weight used (weight-based doses only)

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
    """Compute the dose for one session of `version` and judge it against the version's limits.

    The arithmetic is exact (fractions: a duration of 35 min is 7/12 h, not 0.5833...), and only the
    reported figures are rounded, half up."""
    if max_weight_age_days is None:
        max_weight_age_days = default_max_weight_age_days()
    basis = version.dose_basis
    unit = "mg" if basis == DoseBasis.FIXED_MG else DoseBasis(basis).label
    minutes = int(version.infusion_minutes)
    hours = Fraction(minutes, 60)
    volume = Decimal(version.diluent_volume_ml)
    rate_ml = _round(Fraction(volume) / hours) if minutes > 0 else Decimal("0")
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
                f"The weight was recorded on {uk_date(weight_recorded_on)}, after the dose date "
                f"{uk_date(on_date)}.",
                FIELD_WEIGHT,
                basis_dose=basis_dose,
            )
        age = (on_date - weight_recorded_on).days
        if age > max_weight_age_days:
            return refuse(
                f"The latest weight ({_fmt(weight)} kg on {uk_date(weight_recorded_on)}) is {age} days old; "
                f"a {unit} dose needs a weight from the last {max_weight_age_days} days. Weigh the patient again.",
                FIELD_WEIGHT,
                basis_dose=basis_dose,
            )
        raw_mg = Fraction(basis_dose) * Fraction(weight)
        if basis == DoseBasis.MG_PER_KG_PER_HOUR:
            raw_mg = raw_mg * hours
    else:
        raw_mg = Fraction(basis_dose)

    soft = Decimal(version.soft_limit)
    hard = Decimal(version.hard_limit)
    absolute_max = Decimal(version.absolute_max_mg)

    if basis_dose > hard:
        return refuse(
            f"{_fmt(basis_dose)} {unit} is above the hard limit of {_fmt(hard)} {unit}: refused.",
            FIELD_DOSE,
            dose_mg=raw_mg,
            basis_dose=basis_dose,
            dose_per_kg=raw_mg / Fraction(weight) if weight_based else None,
        )

    capped = False
    dose_mg = raw_mg
    if raw_mg > absolute_max:
        if not weight_based:
            return refuse(
                f"{_fmt(basis_dose)} mg is above the absolute maximum of {_fmt(absolute_max)} mg per session: refused.",
                FIELD_DOSE,
                dose_mg=raw_mg,
                basis_dose=basis_dose,
            )
        capped = True
        dose_mg = Fraction(absolute_max)
        messages.insert(
            0,
            f"Capped at the absolute maximum of {_fmt(absolute_max)} mg per session "
            f"({_fmt(basis_dose)} {unit} x {_fmt(weight)} kg would be {_fmt(_round(raw_mg))} mg).",
        )

    rate_mg = dose_mg / hours
    max_rate = version.max_rate_mg_per_hour
    if max_rate is not None and rate_mg > Fraction(max_rate):
        needed = math.ceil(dose_mg / Fraction(max_rate) * 60)
        return refuse(
            f"{_fmt(_round(dose_mg))} mg over {minutes} min runs at {_fmt(_round(rate_mg, HUNDREDTH))} mg/h, "
            f"above the maximum rate of {_fmt(Decimal(max_rate))} mg/h: it needs at least {needed} minutes.",
            FIELD_DOSE,
            dose_mg=dose_mg,
            basis_dose=basis_dose,
            dose_per_kg=dose_mg / Fraction(weight) if weight_based else None,
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

    if _round(dose_mg) <= 0:
        return refuse(
            f"{_fmt(basis_dose)} {unit} comes to less than 0.05 mg: check the dose.",
            FIELD_DOSE,
            basis_dose=basis_dose,
        )
    preparation = prepare(
        version=version, dose_mg=_round(dose_mg), weight_kg=weight if weight_based else None
    )
    planned_rate = preparation.rate_ml_per_h

    return DoseResult(
        dose_mg=_round(dose_mg),
        dose_per_kg=_round(dose_mg / Fraction(weight), HUNDREDTH) if weight_based else None,
        basis_dose=basis_dose,
        basis_unit=unit,
        volume_ml=preparation.final_volume_ml,
        rate_ml_per_h=planned_rate,
        rate_mg_per_h=_round(rate_mg, HUNDREDTH),
        duration_minutes=minutes,
        verdict=verdict,
        messages=tuple(messages),
        capped=capped,
        needs_verification=needs_verification,
        preparation=preparation,
        weight_kg=weight if weight_based else None,
    )


# --- The rate of a running infusion -------------------------------------------------------------
#
# One rule for every path that sets a pump rate: the start, a rate change, a resume, an amendment
# of a charted rate, and the limits shown to the nurse. A rate is judged against the bag actually
# hung (its dose in its final volume), like a smart pump's drug library:
# - hard, refused: the version's maximum mg/h, its maximum mL/h, its minimum duration (the whole
#   bag at this rate), a rate-based protocol's hard limit in mg/kg/h, and the pump's own maximum;
# - soft, a reason: a rate-based protocol's soft limit in mg/kg/h; for other protocols any rate
#   faster than the planned one (the prescribed duration is the soft limit).
# The prescribed rate itself is always acceptable at the soft level (its reason was recorded when
# the dose was prescribed above a soft limit).

RATE_OK = WITHIN_LIMITS
RATE_SOFT = OVER_SOFT_LIMIT
RATE_REFUSED = REFUSED


def pump_max_ml_per_h() -> Decimal:
    return Decimal(str(getattr(settings, "INFUSION_PUMP_MAX_ML_PER_H", "999.9")))


@dataclass(frozen=True)
class RateLimit:
    ml_per_h: Fraction  # the exact rate at which the limit is reached
    label: str  # what the limit is, for the messages: "the maximum rate of 60 mg/h"


@dataclass(frozen=True)
class RateLimits:
    """The pump settings a nurse is shown, from the same rule that judges a rate."""

    planned_ml_per_h: Decimal
    soft: tuple[RateLimit, ...]
    hard: tuple[RateLimit, ...]

    @property
    def hard_limit(self) -> RateLimit:
        return min(self.hard, key=lambda limit: limit.ml_per_h)

    @property
    def hard_ml_per_h(self) -> Decimal:
        return _round_down(self.hard_limit.ml_per_h)

    @property
    def soft_limit(self) -> RateLimit | None:
        candidates = [limit for limit in self.soft if limit.ml_per_h < self.hard_limit.ml_per_h]
        return min(candidates, key=lambda limit: limit.ml_per_h) if candidates else None

    @property
    def soft_ml_per_h(self) -> Decimal:
        """Up to this rate no reason is needed (never below the planned rate)."""
        limit = self.soft_limit
        if limit is None:
            return self.hard_ml_per_h
        return max(_round_down(limit.ml_per_h), min(self.planned_ml_per_h, self.hard_ml_per_h))


def rate_limits(*, version, dose_mg, volume_ml, weight_kg=None, duration_minutes=None) -> RateLimits:
    """The soft and hard rate limits (mL/h) for `dose_mg` in `volume_ml` of `version`, and the planned
    rate: the bag over the planned duration, rounded half up unless that would pass a hard limit."""
    mg_per_ml = Fraction(Decimal(dose_mg)) / Fraction(Decimal(volume_ml))
    volume = Fraction(Decimal(volume_ml))
    minutes = int(duration_minutes or version.infusion_minutes)
    pump_max = pump_max_ml_per_h()
    hard = [RateLimit(Fraction(pump_max), f"the pump's maximum of {_fmt(pump_max)} mL/h")]
    soft = []
    if version.max_rate_ml_per_hour:
        max_ml = Decimal(version.max_rate_ml_per_hour)
        hard.append(RateLimit(Fraction(max_ml), f"the protocol's maximum of {_fmt(max_ml)} mL/h"))
    if version.max_rate_mg_per_hour:
        max_mg = Decimal(version.max_rate_mg_per_hour)
        hard.append(RateLimit(Fraction(max_mg) / mg_per_ml, f"the maximum rate of {_fmt(max_mg)} mg/h"))
    if version.min_infusion_minutes:
        minimum = int(version.min_infusion_minutes)
        hard.append(
            RateLimit(
                volume * 60 / minimum,
                f"the {minimum}-minute minimum for the whole {_fmt(Decimal(volume_ml))} mL bag",
            )
        )
    rate_based = version.dose_basis == DoseBasis.MG_PER_KG_PER_HOUR and weight_kg
    if rate_based:
        per_kg = Fraction(Decimal(weight_kg)) / mg_per_ml
        hard_limit, soft_limit = Decimal(version.hard_limit), Decimal(version.soft_limit)
        hard.append(RateLimit(Fraction(hard_limit) * per_kg, f"the hard limit of {_fmt(hard_limit)} mg/kg/h"))
        soft.append(RateLimit(Fraction(soft_limit) * per_kg, f"the soft limit of {_fmt(soft_limit)} mg/kg/h"))
    hardest = min(limit.ml_per_h for limit in hard)
    planned = min(_round(volume * 60 / max(minutes, 1)), _round_down(hardest))
    if not rate_based:
        soft.append(
            RateLimit(
                Fraction(planned), f"the planned rate of {_fmt(planned)} mL/h ({minutes} min for the bag)"
            )
        )
    return RateLimits(planned_ml_per_h=planned, soft=tuple(soft), hard=tuple(hard))


@dataclass(frozen=True)
class RateVerdict:
    verdict: str  # RATE_OK, RATE_SOFT or RATE_REFUSED
    message: str
    rate_ml_per_h: Decimal | None
    mg_per_h: Decimal | None = None
    mg_per_kg_per_h: Decimal | None = None
    bag_minutes: Decimal | None = None  # the whole bag at this rate
    limits: RateLimits | None = None

    @property
    def allowed(self) -> bool:
        return self.verdict != RATE_REFUSED

    @property
    def requires_reason(self) -> bool:
        return self.verdict == RATE_SOFT


def judge_rate(
    *, version, rate_ml_per_h, dose_mg, volume_ml, weight_kg=None, duration_minutes=None
) -> RateVerdict:
    """Judge a pump rate for a bag of `dose_mg` in `volume_ml` of `version` (a pure function)."""

    def refused(text, rate=None):
        return RateVerdict(verdict=RATE_REFUSED, message=text, rate_ml_per_h=rate)

    try:
        rate = _to_decimal(rate_ml_per_h)
    except ValueError:
        return refused("Enter the rate as a number of mL/h, such as 125 or 62.5.")
    if rate is None:
        return refused("Enter the rate in mL/h.")
    if rate <= 0:
        return refused("The rate must be above 0 mL/h; to stop the flow, pause the infusion.", rate)
    if rate != rate.quantize(TENTH, rounding=ROUND_HALF_UP):
        return refused("Pumps are set to 0.1 mL/h: enter at most one decimal place.", rate)
    limits = rate_limits(
        version=version,
        dose_mg=dose_mg,
        volume_ml=volume_ml,
        weight_kg=weight_kg,
        duration_minutes=duration_minutes,
    )
    mg_per_ml = Fraction(Decimal(dose_mg)) / Fraction(Decimal(volume_ml))
    mg_h = Fraction(rate) * mg_per_ml
    per_kg = mg_h / Fraction(Decimal(weight_kg)) if weight_kg else None
    bag_minutes = Fraction(Decimal(volume_ml)) * 60 / Fraction(rate)
    figures = dict(
        rate_ml_per_h=rate,
        mg_per_h=_round(mg_h, HUNDREDTH),
        mg_per_kg_per_h=_round(per_kg, HUNDREDTH) if per_kg is not None else None,
        bag_minutes=_round(bag_minutes),
        limits=limits,
    )
    what = f"{_fmt(rate)} mL/h is {_fmt(_round(mg_h, HUNDREDTH))} mg/h"
    if per_kg is not None:
        what += f" ({_fmt(_round(per_kg, HUNDREDTH))} mg/kg/h)"
    what += f" and runs the bag in {_fmt(_round(bag_minutes))} min"
    exceeded = [limit for limit in limits.hard if Fraction(rate) > limit.ml_per_h]
    if exceeded:
        worst = min(exceeded, key=lambda limit: limit.ml_per_h)
        return RateVerdict(
            verdict=RATE_REFUSED,
            message=f"{what}: above {worst.label}. The most allowed is {_fmt(limits.hard_ml_per_h)} mL/h.",
            **figures,
        )
    if rate > limits.soft_ml_per_h:
        soft = limits.soft_limit
        return RateVerdict(
            verdict=RATE_SOFT,
            message=f"{what}: above {soft.label}. Record the reason to go on "
            f"(hard maximum {_fmt(limits.hard_ml_per_h)} mL/h).",
            **figures,
        )
    return RateVerdict(verdict=RATE_OK, message=f"{what}: within limits.", **figures)


# --- What has been given ------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivered:
    """Volume and dose given so far, from the record's timeline (exact, then rounded for display)."""

    volume_ml: Decimal
    dose_mg: Decimal
    dose_per_kg: Decimal | None
    planned_volume_ml: Decimal
    planned_dose_mg: Decimal
    bag_empty_at: datetime | None = None  # when the computed volume reached the whole bag
    exact_volume: Fraction = field(default=Fraction(0), repr=False)

    @property
    def percent(self) -> int:
        if not self.planned_volume_ml:
            return 0
        return int(_round(self.exact_volume * 100 / Fraction(self.planned_volume_ml), Decimal(1)))

    def is_complete(self, *, rate_ml_per_h) -> bool:
        """Times are charted to the minute: the bag counts as finished within one minute's flow."""
        tolerance = Fraction(Decimal(rate_ml_per_h)) / 60
        return self.exact_volume + tolerance >= Fraction(self.planned_volume_ml)


RUNS = ("start", "rate", "resume")
HALTS = ("pause", "stop")


def delivered(*, timeline, until, volume_ml, dose_mg, weight_kg=None) -> Delivered:
    """Integrate the pump rate over `timeline` up to `until`.

    `timeline` is the record's changes in charted order as (time, kind, rate mL/h) with kinds
    start, rate, pause, resume and stop. The flow ends at a stop and never exceeds the bag: the
    pump stops at its volume to be infused."""
    bag = Fraction(Decimal(volume_ml))
    total = Fraction(0)
    rate = Fraction(0)
    since = None
    empty_at = None

    def run(until_moment):
        nonlocal total, empty_at
        if since is None or rate == 0 or until_moment <= since or empty_at is not None:
            return
        hours = Fraction((until_moment - since) // timedelta(microseconds=1), 3_600_000_000)
        added = rate * hours
        if total + added >= bag:
            remaining = bag - total
            empty_at = since + timedelta(microseconds=int(remaining / rate * 3_600_000_000))
            total = bag
        else:
            total += added

    stopped = False
    for moment, kind, value in timeline:
        if moment > until:
            break
        run(moment)
        since = moment
        rate = Fraction(Decimal(value)) if kind in RUNS else Fraction(0)
        if kind == "stop":
            stopped = True
            break
    if not stopped:
        run(until)
    dose_total = total * Fraction(Decimal(dose_mg)) / bag if bag else Fraction(0)
    return Delivered(
        volume_ml=_round(total),
        dose_mg=_round(dose_total),
        dose_per_kg=_round(dose_total / Fraction(Decimal(weight_kg)), HUNDREDTH) if weight_kg else None,
        planned_volume_ml=Decimal(volume_ml),
        planned_dose_mg=Decimal(dose_mg),
        bag_empty_at=empty_at,
        exact_volume=total,
    )
