"""NEWS2 against the RCP chart (docs/clinical-reference.md#news2): every band boundary of every
parameter, both SpO2 scales on air and oxygen, ACVPU, temperature decimals, the aggregate bands and
the reference cases."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from records import news2
from records.news2 import AlertLevel, Band


@pytest.mark.parametrize(
    ("rate", "expected"),
    [(3, 3), (8, 3), (9, 1), (11, 1), (12, 0), (20, 0), (21, 2), (24, 2), (25, 3), (70, 3)],
)
def test_it_scores_respiration_rate_on_every_band_boundary(rate, expected):
    assert news2.respiration_score(rate) == expected


@pytest.mark.parametrize(
    ("spo2", "expected"),
    [(50, 3), (91, 3), (92, 2), (93, 2), (94, 1), (95, 1), (96, 0), (100, 0)],
)
def test_it_scores_spo2_scale_1_on_every_band_boundary(spo2, expected):
    assert news2.spo2_scale1_score(spo2) == expected


@pytest.mark.parametrize("on_oxygen", [False, True])
def test_scale_1_ignores_oxygen_for_the_spo2_score_itself(on_oxygen):
    assert news2.spo2_scale1_score(97) == 0
    result = news2.score(
        respiratory_rate=16, spo2=97, on_oxygen=on_oxygen, systolic=120, pulse=70, acvpu="A", temperature=37
    )
    assert result.spo2 == 0
    assert result.air_or_oxygen == (2 if on_oxygen else 0)


@pytest.mark.parametrize(
    ("spo2", "on_oxygen", "expected"),
    [
        (50, False, 3),
        (83, False, 3),
        (84, False, 2),
        (85, True, 2),
        (86, False, 1),
        (87, True, 1),
        (88, False, 0),
        (88, True, 0),
        (92, True, 0),
        (92, False, 0),
        (93, False, 0),
        (100, False, 0),
        (93, True, 1),
        (94, True, 1),
        (95, True, 2),
        (96, True, 2),
        (97, True, 3),
        (100, True, 3),
    ],
)
def test_it_scores_spo2_scale_2_on_every_band_boundary_on_air_and_oxygen(spo2, on_oxygen, expected):
    assert news2.spo2_scale2_score(spo2, on_oxygen=on_oxygen) == expected


@pytest.mark.parametrize(("on_oxygen", "expected"), [(False, 0), (True, 2)])
def test_it_scores_air_or_oxygen(on_oxygen, expected):
    assert news2.air_or_oxygen_score(on_oxygen) == expected


@pytest.mark.parametrize(
    ("systolic", "expected"),
    [(40, 3), (90, 3), (91, 2), (100, 2), (101, 1), (110, 1), (111, 0), (219, 0), (220, 3), (300, 3)],
)
def test_it_scores_systolic_bp_on_every_band_boundary(systolic, expected):
    assert news2.systolic_score(systolic) == expected


@pytest.mark.parametrize(
    ("pulse", "expected"),
    [
        (20, 3),
        (40, 3),
        (41, 1),
        (50, 1),
        (51, 0),
        (90, 0),
        (91, 1),
        (110, 1),
        (111, 2),
        (130, 2),
        (131, 3),
        (250, 3),
    ],
)
def test_it_scores_pulse_on_every_band_boundary(pulse, expected):
    assert news2.pulse_score(pulse) == expected


@pytest.mark.parametrize(("acvpu", "expected"), [("A", 0), ("C", 3), ("V", 3), ("P", 3), ("U", 3)])
def test_it_scores_consciousness_alert_0_and_new_confusion_voice_pain_unresponsive_3(acvpu, expected):
    assert news2.consciousness_score(acvpu) == expected


@pytest.mark.parametrize(
    ("temperature", "expected"),
    [
        ("30.0", 3),
        ("35.0", 3),
        ("35.1", 1),
        ("36.0", 1),
        ("36.1", 0),
        ("38.0", 0),
        ("38.1", 1),
        ("39.0", 1),
        ("39.1", 2),
        ("45.0", 2),
    ],
)
def test_it_scores_temperature_on_every_band_boundary(temperature, expected):
    assert news2.temperature_score(Decimal(temperature)) == expected


@pytest.mark.parametrize(
    ("temperature", "expected"),
    [
        ("35.04", 3),
        ("35.05", 1),
        ("36.04", 1),
        ("36.05", 0),
        ("38.04", 0),
        ("38.05", 1),
        ("39.05", 2),
        (36.0, 1),
    ],
)
def test_it_reads_temperature_to_one_decimal_place_before_scoring(temperature, expected):
    assert news2.temperature_score(temperature) == expected


def _score(**overrides):
    values = dict(
        respiratory_rate=18,
        spo2=97,
        on_oxygen=False,
        systolic=120,
        pulse=80,
        acvpu="A",
        temperature=Decimal("37.0"),
    )
    values.update(overrides)
    return news2.score(**values)


def test_reference_case_all_normal_scores_0_low():
    result = _score()
    assert result.total == 0
    assert result.band == Band.LOW
    assert result.alert_level == AlertLevel.NONE


def test_reference_case_8_is_high_with_each_parameter_as_in_domain():
    result = news2.score(
        respiratory_rate=22,
        spo2=95,
        on_oxygen=True,
        systolic=105,
        pulse=95,
        acvpu="A",
        temperature=Decimal("38.5"),
    )
    assert (
        result.respiration,
        result.spo2,
        result.air_or_oxygen,
        result.systolic,
        result.pulse,
        result.consciousness,
        result.temperature,
    ) == (2, 1, 2, 1, 1, 0, 1)
    assert result.total == 8
    assert result.band == Band.HIGH
    assert result.alert_level == AlertLevel.URGENT


def test_reference_case_single_red_parameter_is_low_medium_with_an_alert():
    result = news2.score(
        respiratory_rate=16,
        spo2=97,
        on_oxygen=False,
        systolic=89,
        pulse=70,
        acvpu="A",
        temperature=Decimal("36.8"),
    )
    assert result.total == 3
    assert result.systolic == 3
    assert result.band == Band.LOW_MEDIUM
    assert result.alert_level == AlertLevel.ALERT


def test_reference_case_scale_2_at_93_scores_0_on_air_and_1_plus_2_on_oxygen():
    on_air = _score(spo2=93, spo2_scale2=True)
    on_oxygen = _score(spo2=93, on_oxygen=True, spo2_scale2=True)
    assert (on_air.spo2, on_air.air_or_oxygen, on_air.total) == (0, 0, 0)
    assert (on_oxygen.spo2, on_oxygen.air_or_oxygen, on_oxygen.total) == (1, 2, 3)
    assert on_oxygen.band == Band.LOW  # 3 in total, but no single parameter scores 3


def test_scale_1_scores_93_as_2_where_scale_2_scores_0():
    assert _score(spo2=93).spo2 == 2
    assert _score(spo2=93, spo2_scale2=True).spo2 == 0


@pytest.mark.parametrize(
    ("overrides", "total", "band"),
    [
        ({"pulse": 95, "temperature": Decimal("38.5"), "systolic": 105, "respiratory_rate": 10}, 4, Band.LOW),
        (
            {"pulse": 95, "temperature": Decimal("38.5"), "systolic": 105, "respiratory_rate": 22},
            5,
            Band.MEDIUM,
        ),
        (
            {"pulse": 115, "temperature": Decimal("38.5"), "systolic": 105, "respiratory_rate": 22},
            6,
            Band.MEDIUM,
        ),
        (
            {"pulse": 115, "temperature": Decimal("39.5"), "systolic": 105, "respiratory_rate": 22},
            7,
            Band.HIGH,
        ),
        ({"acvpu": "C", "pulse": 95}, 4, Band.LOW_MEDIUM),
        ({"acvpu": "V", "pulse": 95, "temperature": Decimal("38.5")}, 5, Band.MEDIUM),
        ({"systolic": 89, "respiratory_rate": 8, "pulse": 40}, 9, Band.HIGH),
    ],
)
def test_it_bands_the_total_at_4_5_6_7_and_a_single_3(overrides, total, band):
    result = _score(**overrides)
    assert result.total == total
    assert result.band == band


@pytest.mark.parametrize(
    ("band", "sedation", "level"),
    [
        (Band.LOW, "1", AlertLevel.NONE),
        (Band.LOW, "S", AlertLevel.NONE),
        (Band.LOW, "2", AlertLevel.NONE),
        (Band.LOW, "3", AlertLevel.URGENT),
        (Band.LOW, "4", AlertLevel.URGENT),
        (Band.LOW_MEDIUM, "1", AlertLevel.ALERT),
        (Band.MEDIUM, "1", AlertLevel.ALERT),
        (Band.HIGH, "1", AlertLevel.URGENT),
    ],
)
def test_poss_3_or_4_raises_an_alert_like_news2_7(band, sedation, level):
    assert news2.alert_level_for(band=band, sedation=sedation) == level


@settings(deadline=None)  # pure arithmetic; a busy CI box must not make it flaky
@given(
    rr=st.integers(3, 70),
    spo2=st.integers(50, 100),
    oxygen=st.booleans(),
    sbp=st.integers(40, 300),
    hr=st.integers(20, 250),
    acvpu=st.sampled_from("ACVPU"),
    temp=st.decimals(min_value=30, max_value=45, places=1),
    scale2=st.booleans(),
)
def test_the_total_is_the_sum_of_parameter_scores_and_bands_follow_it(
    rr, spo2, oxygen, sbp, hr, acvpu, temp, scale2
):
    result = news2.score(
        respiratory_rate=rr,
        spo2=spo2,
        on_oxygen=oxygen,
        systolic=sbp,
        pulse=hr,
        acvpu=acvpu,
        temperature=temp,
        spo2_scale2=scale2,
    )
    assert result.total == sum(result.sub_scores.values())
    assert 0 <= result.total <= 20
    if result.total >= 7:
        assert result.band == Band.HIGH
    elif result.total >= 5:
        assert result.band == Band.MEDIUM
    elif 3 in result.sub_scores.values():
        assert result.band == Band.LOW_MEDIUM
    else:
        assert result.band == Band.LOW
