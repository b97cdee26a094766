"""NEWS2 (Royal College of Physicians, 2017): the aggregate early warning score.

Pure functions, no Django: every band is written out as in the RCP chart (the table is in
docs/clinical-reference.md#news2) so that a reviewer can hold this file next to it. Sedation (POSS,
docs/clinical-reference.md#poss) is not part of NEWS2, but a POSS of 3 or 4 is treated like a NEWS2 of 7
(an urgent alert), so the alert level is decided here too.
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


class Band:
    LOW = "low"
    LOW_MEDIUM = "low_medium"
    MEDIUM = "medium"
    HIGH = "high"

    CHOICES = [
        (LOW, "Low"),
        (LOW_MEDIUM, "Low-medium"),
        (MEDIUM, "Medium"),
        (HIGH, "High"),
    ]
    RESPONSE = {
        LOW: "Ward-based response",
        LOW_MEDIUM: "Urgent review: a single parameter scores 3",
        MEDIUM: "Urgent response: NEWS2 5-6",
        HIGH: "Emergency response: NEWS2 7 or more",
    }


class AlertLevel:
    """Stored as a small integer so that the day board can take the worst of a set with Max()."""

    NONE = 0
    ALERT = 1  # NEWS2 5-6, or a 3 in one parameter
    URGENT = 2  # NEWS2 7+, or POSS 3/4

    CHOICES = [(NONE, "None"), (ALERT, "Alert"), (URGENT, "Urgent")]


ACVPU_ALERT = "A"
POSS_UNACCEPTABLE = ("3", "4")


def respiration_score(rate: int) -> int:
    if rate <= 8:
        return 3
    if rate <= 11:
        return 1
    if rate <= 20:
        return 0
    if rate <= 24:
        return 2
    return 3


def spo2_scale1_score(spo2: int) -> int:
    if spo2 <= 91:
        return 3
    if spo2 <= 93:
        return 2
    if spo2 <= 95:
        return 1
    return 0


def spo2_scale2_score(spo2: int, *, on_oxygen: bool) -> int:
    if spo2 <= 83:
        return 3
    if spo2 <= 85:
        return 2
    if spo2 <= 87:
        return 1
    if spo2 <= 92 or not on_oxygen:
        return 0  # 88-92, or 93 and above breathing air
    if spo2 <= 94:
        return 1
    if spo2 <= 96:
        return 2
    return 3


def air_or_oxygen_score(on_oxygen: bool) -> int:
    return 2 if on_oxygen else 0


def systolic_score(systolic: int) -> int:
    if systolic <= 90:
        return 3
    if systolic <= 100:
        return 2
    if systolic <= 110:
        return 1
    if systolic <= 219:
        return 0
    return 3


def pulse_score(pulse: int) -> int:
    if pulse <= 40:
        return 3
    if pulse <= 50:
        return 1
    if pulse <= 90:
        return 0
    if pulse <= 110:
        return 1
    if pulse <= 130:
        return 2
    return 3


def consciousness_score(acvpu: str) -> int:
    # New confusion, Voice, Pain and Unresponsive all score 3.
    return 0 if acvpu == ACVPU_ALERT else 3


def temperature_to_one_decimal(temperature) -> Decimal:
    """The chart reads temperature to one decimal place; 36.05 is read as 36.1."""
    return Decimal(str(temperature)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def temperature_score(temperature) -> int:
    t = temperature_to_one_decimal(temperature)
    if t <= Decimal("35.0"):
        return 3
    if t <= Decimal("36.0"):
        return 1
    if t <= Decimal("38.0"):
        return 0
    if t <= Decimal("39.0"):
        return 1
    return 2


def band_for(*, total: int, sub_scores) -> str:
    if total >= 7:
        return Band.HIGH
    if total >= 5:
        return Band.MEDIUM
    if any(score == 3 for score in sub_scores):
        return Band.LOW_MEDIUM
    return Band.LOW


def alert_level_for(*, band: str, sedation: str | None = None) -> int:
    if band == Band.HIGH or sedation in POSS_UNACCEPTABLE:
        return AlertLevel.URGENT
    if band in (Band.MEDIUM, Band.LOW_MEDIUM):
        return AlertLevel.ALERT
    return AlertLevel.NONE


@dataclass(frozen=True)
class News2:
    respiration: int
    spo2: int
    air_or_oxygen: int
    systolic: int
    pulse: int
    consciousness: int
    temperature: int
    total: int
    band: str
    alert_level: int

    @property
    def sub_scores(self) -> dict[str, int]:
        return {
            "respiration": self.respiration,
            "spo2": self.spo2,
            "air_or_oxygen": self.air_or_oxygen,
            "systolic": self.systolic,
            "pulse": self.pulse,
            "consciousness": self.consciousness,
            "temperature": self.temperature,
        }


def score(
    *,
    respiratory_rate: int,
    spo2: int,
    on_oxygen: bool,
    systolic: int,
    pulse: int,
    acvpu: str,
    temperature,
    spo2_scale2: bool = False,
    sedation: str | None = None,
) -> News2:
    """Score one set of observations. `spo2_scale2` only for patients a clinician has marked."""
    parts = {
        "respiration": respiration_score(respiratory_rate),
        "spo2": spo2_scale2_score(spo2, on_oxygen=on_oxygen) if spo2_scale2 else spo2_scale1_score(spo2),
        "air_or_oxygen": air_or_oxygen_score(on_oxygen),
        "systolic": systolic_score(systolic),
        "pulse": pulse_score(pulse),
        "consciousness": consciousness_score(acvpu),
        "temperature": temperature_score(temperature),
    }
    total = sum(parts.values())
    band = band_for(total=total, sub_scores=parts.values())
    return News2(**parts, total=total, band=band, alert_level=alert_level_for(band=band, sedation=sedation))
