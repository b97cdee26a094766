"""NEWS2 (Royal College of Physicians, 2017): the aggregate early warning score.

Pure functions, no Django: every band is written out as in the RCP chart (the table is in
docs/clinical-reference.md#news2), one (highest value, score) row each, so that a reviewer can hold
this file next to it. Sedation (POSS,
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


# Each parameter's bands as in the RCP chart: (highest value in the band, score), lowest band first;
# a value above every band scores the last figure.
RESPIRATION_BANDS = ((8, 3), (11, 1), (20, 0), (24, 2)), 3  # 25+
SPO2_SCALE1_BANDS = ((91, 3), (93, 2), (95, 1)), 0  # 96+
SPO2_SCALE2_BANDS = ((83, 3), (85, 2), (87, 1)), 0  # 88+ breathing air
SPO2_SCALE2_ON_OXYGEN_BANDS = ((83, 3), (85, 2), (87, 1), (92, 0), (94, 1), (96, 2)), 3  # 97+
SYSTOLIC_BANDS = ((90, 3), (100, 2), (110, 1), (219, 0)), 3  # 220+
PULSE_BANDS = ((40, 3), (50, 1), (90, 0), (110, 1), (130, 2)), 3  # 131+
TEMPERATURE_BANDS = (
    ((Decimal("35.0"), 3), (Decimal("36.0"), 1), (Decimal("38.0"), 0), (Decimal("39.0"), 1)),
    2,  # 39.1+
)


def _banded(value, bands) -> int:
    rows, above = bands
    return next((points for highest, points in rows if value <= highest), above)


def respiration_score(rate: int) -> int:
    return _banded(rate, RESPIRATION_BANDS)


def spo2_scale1_score(spo2: int) -> int:
    return _banded(spo2, SPO2_SCALE1_BANDS)


def spo2_scale2_score(spo2: int, *, on_oxygen: bool) -> int:
    # 88-92 scores 0 either way; 93 and above scores 0 breathing air, more and more on oxygen.
    return _banded(spo2, SPO2_SCALE2_ON_OXYGEN_BANDS if on_oxygen else SPO2_SCALE2_BANDS)


def air_or_oxygen_score(on_oxygen: bool) -> int:
    return 2 if on_oxygen else 0


def systolic_score(systolic: int) -> int:
    return _banded(systolic, SYSTOLIC_BANDS)


def pulse_score(pulse: int) -> int:
    return _banded(pulse, PULSE_BANDS)


def consciousness_score(acvpu: str) -> int:
    # New confusion, Voice, Pain and Unresponsive all score 3.
    return 0 if acvpu == ACVPU_ALERT else 3


def temperature_to_one_decimal(temperature) -> Decimal:
    """The chart reads temperature to one decimal place; 36.05 is read as 36.1."""
    return Decimal(str(temperature)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def temperature_score(temperature) -> int:
    return _banded(temperature_to_one_decimal(temperature), TEMPERATURE_BANDS)


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
