"""The dose calculator at and around every limit of the example defaults
(docs/clinical-reference.md#protocol-defaults)."""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.test import override_settings

from protocols.dosing import (
    FIELD_DOSE,
    FIELD_WEIGHT,
    OVER_SOFT_LIMIT,
    REFUSED,
    WITHIN_LIMITS,
    DoseResult,
    calculate_dose,
)

from .conftest import ON, version_like

RECENT = ON - timedelta(days=3)


def lido(**kw):
    kw.setdefault("weight_recorded_on", RECENT)
    return calculate_dose(version=version_like("lidocaine"), on_date=ON, **kw)


# --- lidocaine, mg/kg: default 5, soft 5, hard 7, absolute max 500 mg ----------------------------


def test_it_gives_lidocaine_default_dose_times_weight():
    r = lido(weight_kg=D("70"))
    assert r.verdict == WITHIN_LIMITS
    assert r.dose_mg == D("350.0")
    assert r.dose_per_kg == D("5.00")
    assert r.basis_dose == D("5")
    assert r.basis_unit == "mg/kg"
    assert r.volume_ml == D("285.0")  # 35 mL of 10 mg/mL added to the 250 mL bag
    assert r.rate_ml_per_h == D("285.0")
    assert r.preparation.drug_volume_ml == D("35.0") and r.preparation.diluent_volume_ml == D("250")
    assert r.rate_mg_per_h == D("350.00")
    assert r.duration_minutes == 60
    assert r.allowed and not r.requires_reason


def test_it_accepts_a_dose_exactly_at_the_soft_limit():
    r = lido(weight_kg=D("60"), override_dose=D("5"))
    assert r.verdict == WITHIN_LIMITS


def test_it_needs_a_reason_just_above_the_soft_limit():
    r = lido(weight_kg=D("60"), override_dose=D("5.001"))
    assert r.verdict == OVER_SOFT_LIMIT
    assert r.requires_reason and r.allowed
    assert "soft limit" in r.messages[0]
    assert r.dose_mg == D("300.1")  # 300.06 rounded half up to 0.1 mg


def test_it_allows_a_dose_exactly_at_the_hard_limit_with_a_reason():
    r = lido(weight_kg=D("60"), override_dose=D("7"))
    assert r.verdict == OVER_SOFT_LIMIT
    assert r.dose_mg == D("420.0")


def test_it_refuses_a_dose_just_above_the_hard_limit():
    r = lido(weight_kg=D("60"), override_dose=D("7.001"))
    assert r.verdict == REFUSED
    assert not r.allowed
    assert r.refused_field == FIELD_DOSE
    assert "hard limit" in r.messages[0]


def test_it_caps_a_weight_based_dose_at_the_absolute_maximum():
    r = lido(weight_kg=D("110"))  # 5 x 110 = 550 mg > 500 mg
    assert r.verdict == WITHIN_LIMITS
    assert r.capped
    assert r.dose_mg == D("500.0")
    assert r.dose_per_kg == D("4.55")
    assert "Capped at the absolute maximum of 500 mg" in r.messages[0]


def test_it_does_not_cap_a_dose_exactly_at_the_absolute_maximum():
    r = lido(weight_kg=D("100"))
    assert r.dose_mg == D("500.0")
    assert not r.capped


def test_it_keeps_the_soft_verdict_when_a_capped_dose_was_prescribed_over_the_soft_limit():
    r = lido(weight_kg=D("100"), override_dose=D("6"))
    assert r.capped and r.dose_mg == D("500.0")
    assert r.verdict == OVER_SOFT_LIMIT


def test_it_rounds_the_dose_half_up_to_a_tenth_of_a_mg():
    assert lido(weight_kg=D("70.1"), override_dose=D("4.5")).dose_mg == D("315.5")  # 315.45
    assert lido(weight_kg=D("70.3"), override_dose=D("3.3")).dose_mg == D("232.0")  # 231.99


def test_it_accepts_strings_and_floats_as_numbers():
    assert lido(weight_kg="70", override_dose="5").dose_mg == D("350.0")
    assert lido(weight_kg=70.0, override_dose=5.0).dose_mg == D("350.0")


@pytest.mark.parametrize("bad", ["0", "-1", "abc", "NaN", "Infinity"])
def test_it_refuses_a_zero_negative_or_non_numeric_dose(bad):
    r = lido(weight_kg=D("70"), override_dose=bad)
    assert r.verdict == REFUSED
    assert r.dose_mg is None
    assert r.refused_field == FIELD_DOSE


# --- weight: never guessed -----------------------------------------------------------------------


def test_it_refuses_a_weight_based_dose_without_a_weight():
    r = calculate_dose(version=version_like("lidocaine"), on_date=ON)
    assert r.verdict == REFUSED
    assert r.refused_field == FIELD_WEIGHT
    assert r.dose_mg is None
    assert "No weight recorded" in r.messages[0]


def test_it_refuses_a_weight_without_a_date():
    r = calculate_dose(version=version_like("lidocaine"), on_date=ON, weight_kg=D("70"))
    assert r.verdict == REFUSED and r.refused_field == FIELD_WEIGHT


def test_it_accepts_a_weight_exactly_90_days_old():
    r = lido(weight_kg=D("70"), weight_recorded_on=ON - timedelta(days=90))
    assert r.verdict == WITHIN_LIMITS


def test_it_refuses_a_weight_91_days_old():
    r = calculate_dose(
        version=version_like("lidocaine"),
        on_date=ON,
        weight_kg=D("70"),
        weight_recorded_on=ON - timedelta(days=91),
    )
    assert r.verdict == REFUSED
    assert r.refused_field == FIELD_WEIGHT
    assert "91 days old" in r.messages[0]


def test_it_takes_the_weight_age_limit_from_settings_or_the_argument():
    old = ON - timedelta(days=40)
    with override_settings(DOSE_WEIGHT_MAX_AGE_DAYS=30):
        assert (
            calculate_dose(
                version=version_like("lidocaine"), on_date=ON, weight_kg=D("70"), weight_recorded_on=old
            ).verdict
            == REFUSED
        )
    assert (
        calculate_dose(
            version=version_like("lidocaine"),
            on_date=ON,
            weight_kg=D("70"),
            weight_recorded_on=old,
            max_weight_age_days=30,
        ).verdict
        == REFUSED
    )
    assert (
        calculate_dose(
            version=version_like("lidocaine"),
            on_date=ON,
            weight_kg=D("70"),
            weight_recorded_on=old,
            max_weight_age_days=60,
        ).verdict
        == WITHIN_LIMITS
    )


def test_it_refuses_a_weight_recorded_after_the_dose_date():
    r = lido(weight_kg=D("70"), weight_recorded_on=ON + timedelta(days=1))
    assert r.verdict == REFUSED and r.refused_field == FIELD_WEIGHT


@pytest.mark.parametrize("weight", ["19.9", "300.1", "0", "-70"])
def test_it_refuses_a_weight_outside_the_adult_range(weight):
    assert lido(weight_kg=D(weight)).verdict == REFUSED


# --- ketamine, mg/kg/h over 240 min: default 0.3, soft 0.5, hard 1.0, absolute max 300 mg -------


def ket(**kw):
    kw.setdefault("weight_recorded_on", RECENT)
    return calculate_dose(version=version_like("ketamine"), on_date=ON, **kw)


def test_it_gives_ketamine_as_rate_times_weight_times_hours():
    r = ket(weight_kg=D("70"))  # 0.3 x 70 x 4
    assert r.dose_mg == D("84.0")
    assert r.basis_unit == "mg/kg/h"
    assert r.dose_per_kg == D("1.20")
    assert r.rate_mg_per_h == D("21.00")
    assert r.rate_ml_per_h == D("64.6")  # 250 mL + 8.4 mL of 10 mg/mL over 4 h
    assert r.verdict == WITHIN_LIMITS


def test_it_judges_ketamine_limits_on_the_hourly_rate():
    assert ket(weight_kg=D("70"), override_dose=D("0.5")).verdict == WITHIN_LIMITS
    assert ket(weight_kg=D("70"), override_dose=D("0.501")).verdict == OVER_SOFT_LIMIT
    assert ket(weight_kg=D("70"), override_dose=D("1.0")).verdict == OVER_SOFT_LIMIT
    assert ket(weight_kg=D("70"), override_dose=D("1.001")).verdict == REFUSED


def test_it_caps_ketamine_at_300_mg():
    r = ket(weight_kg=D("80"), override_dose=D("1.0"))  # 1.0 x 80 x 4 = 320
    assert r.capped and r.dose_mg == D("300.0")
    assert r.rate_mg_per_h == D("75.00")


def test_it_refuses_ketamine_without_a_weight():
    assert ket().refused_field == FIELD_WEIGHT


# --- fixed doses ---------------------------------------------------------------------------------


def test_it_ignores_weight_for_fixed_doses():
    v = version_like("methylprednisolone")
    without = calculate_dose(version=v, on_date=ON)
    with_old_weight = calculate_dose(
        version=v, on_date=ON, weight_kg=D("70"), weight_recorded_on=ON - timedelta(days=900)
    )
    assert without.dose_mg == with_old_weight.dose_mg == D("500.0")
    assert without.dose_per_kg is None
    assert without.verdict == WITHIN_LIMITS


def test_it_judges_methylprednisolone_limits_in_mg():
    v = version_like("methylprednisolone")
    assert calculate_dose(version=v, on_date=ON, override_dose=D("500.001")).verdict == OVER_SOFT_LIMIT
    assert calculate_dose(version=v, on_date=ON, override_dose=D("1000")).verdict == OVER_SOFT_LIMIT
    assert calculate_dose(version=v, on_date=ON, override_dose=D("1000.001")).verdict == REFUSED


def test_it_gives_magnesium_in_mg_with_grams_stored_as_mg():
    r = calculate_dose(version=version_like("magnesium-sulphate"), on_date=ON)
    assert r.dose_mg == D("2000.0")
    assert r.rate_ml_per_h == D("208.0")  # 100 mL + 4 mL of 500 mg/mL over 30 min
    assert (
        calculate_dose(
            version=version_like("magnesium-sulphate"), on_date=ON, override_dose=D("3000.5")
        ).verdict
        == OVER_SOFT_LIMIT
    )


def test_it_refuses_a_fixed_dose_above_the_absolute_maximum_even_within_the_hard_limit():
    v = version_like("methylprednisolone", absolute_max_mg=D("800"))  # a misconfigured version
    assert calculate_dose(version=v, on_date=ON, override_dose=D("800")).verdict == OVER_SOFT_LIMIT
    r = calculate_dose(version=v, on_date=ON, override_dose=D("800.01"))
    assert r.verdict == REFUSED
    assert "absolute maximum" in r.messages[0]


def test_it_allows_zoledronic_acid_only_at_5_mg():
    v = version_like("zoledronic-acid")
    assert calculate_dose(version=v, on_date=ON).verdict == WITHIN_LIMITS
    assert calculate_dose(version=v, on_date=ON, override_dose=D("5.001")).verdict == REFUSED
    assert calculate_dose(version=v, on_date=ON).rate_ml_per_h == D("400.0")  # 100 mL over 15 min


# --- pamidronate: at most 60 mg/h ----------------------------------------------------------------


def test_it_keeps_pamidronate_within_60_mg_per_hour_over_two_hours():
    v = version_like("pamidronate")
    r = calculate_dose(version=v, on_date=ON, override_dose=D("90"))
    assert r.verdict == OVER_SOFT_LIMIT
    assert r.rate_mg_per_h == D("45.00")


def test_it_accepts_pamidronate_exactly_at_60_mg_per_hour():
    v = version_like("pamidronate", infusion_minutes=60)
    assert calculate_dose(version=v, on_date=ON, override_dose=D("60")).verdict == WITHIN_LIMITS


def test_it_refuses_pamidronate_faster_than_60_mg_per_hour():
    v = version_like("pamidronate", infusion_minutes=60)
    r = calculate_dose(version=v, on_date=ON, override_dose=D("60.01"))
    assert r.verdict == REFUSED
    assert "maximum rate of 60 mg/h" in r.messages[0]
    assert "at least 61 minutes" in r.messages[0]


# --- the result --------------------------------------------------------------------------------


def test_it_says_example_defaults_until_verified():
    r = lido(weight_kg=D("70"))
    assert r.needs_verification
    assert any(m.startswith("Example defaults: verify locally") for m in r.messages)
    from django.utils import timezone

    verified = calculate_dose(
        version=version_like("lidocaine", verified_at=timezone.now()),
        on_date=ON,
        weight_kg=D("70"),
        weight_recorded_on=RECENT,
    )
    assert not verified.needs_verification
    assert verified.messages == ()


def test_the_result_is_frozen():
    r = lido(weight_kg=D("70"))
    assert isinstance(r, DoseResult)
    with pytest.raises(AttributeError):
        r.dose_mg = D("1")


def test_it_refuses_a_version_without_a_usable_duration():
    r = calculate_dose(version=version_like("methylprednisolone", infusion_minutes=0), on_date=ON)
    assert r.verdict == REFUSED


# --- exact arithmetic: rounding half up applies to the exact value -----------------------------


@pytest.mark.parametrize(
    ("minutes", "weight", "rate", "dose"),
    [
        (35, "60", "0.27", "9.5"),  # exactly 9.45 mg: Decimal(35)/60 would give 9.4499... -> 9.4
        (25, "70", "0.3", "8.8"),  # exactly 8.75
        (55, "90", "0.33", "27.2"),  # exactly 27.225
        (10, "45", "0.25", "1.9"),  # exactly 1.875
        (40, "57", "0.45", "17.1"),  # exactly 17.1
        (80, "61", "0.45", "36.6"),  # exactly 36.6
        (70, "63", "0.3", "22.1"),  # exactly 22.05
    ],
)
def test_it_rounds_half_up_on_the_exact_dose_for_durations_not_a_multiple_of_3_minutes(
    minutes, weight, rate, dose
):
    version = version_like("ketamine", infusion_minutes=minutes)
    r = calculate_dose(
        version=version, weight_kg=D(weight), weight_recorded_on=RECENT, on_date=ON, override_dose=D(rate)
    )
    assert r.dose_mg == D(dose)


def test_it_refuses_a_dose_that_rounds_to_nothing():
    r = calculate_dose(version=version_like("pamidronate"), on_date=ON, override_dose=D("0.001"))
    assert r.verdict == REFUSED and r.refused_field == FIELD_DOSE and r.dose_mg is None


def test_the_preparation_draws_up_the_dose_from_the_stock_and_bases_the_pump_on_the_final_volume():
    r = calculate_dose(version=version_like("magnesium-sulphate"), on_date=ON)
    prep = r.preparation
    assert (prep.drug_volume_ml, prep.diluent_volume_ml, prep.final_volume_ml) == (
        D("4.0"),
        D("100"),
        D("104.0"),
    )
    assert prep.draw_up == "Draw up 4 mL of Magnesium sulphate 50% 500 mg/mL (2000 mg)"
    assert r.volume_ml == prep.final_volume_ml and r.rate_ml_per_h == D("208.0") == prep.rate_ml_per_h
    ready = calculate_dose(version=version_like("zoledronic-acid"), on_date=ON).preparation
    assert ready.drug_volume_ml is None and ready.final_volume_ml == D("100")
