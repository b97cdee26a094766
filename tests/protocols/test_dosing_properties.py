"""Hypothesis: the calculator's safety properties hold for any dose and weight."""

from datetime import timedelta
from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from protocols.dosing import REFUSED, calculate_dose

from .conftest import ON, version_like

SLUGS = [
    "lidocaine",
    "ketamine",
    "magnesium-sulphate",
    "zoledronic-acid",
    "pamidronate",
    "methylprednisolone",
]
WEIGHT_BASED = ["lidocaine", "ketamine"]

weights = st.decimals(min_value=D("20"), max_value=D("300"), places=1)
doses = st.decimals(min_value=D("0.001"), max_value=D("5000"), places=3)
ages = st.integers(min_value=0, max_value=90)


@given(slug=st.sampled_from(SLUGS), dose=doses, weight=weights, age=ages)
def test_a_dose_above_the_hard_limit_or_absolute_maximum_is_never_allowed(slug, dose, weight, age):
    v = version_like(slug)
    r = calculate_dose(
        version=v,
        on_date=ON,
        weight_kg=weight,
        weight_recorded_on=ON - timedelta(days=age),
        override_dose=dose,
    )
    if dose > v.hard_limit:
        assert r.verdict == REFUSED
    if r.allowed:
        assert r.basis_dose <= v.hard_limit
        assert r.dose_mg <= v.absolute_max_mg
        if v.max_rate_mg_per_hour:
            assert r.rate_mg_per_h <= v.max_rate_mg_per_hour
        if r.basis_dose > v.soft_limit:
            assert r.requires_reason


@given(
    slug=st.sampled_from(WEIGHT_BASED),
    # At least 0.01 mg/kg: a dose that rounds to 0 mg is refused, whatever the weight.
    dose=st.decimals(min_value=D("0.01"), max_value=D("7"), places=3),
    w1=weights,
    w2=weights,
)
def test_a_weight_based_dose_grows_with_weight_up_to_the_cap(slug, dose, w1, w2):
    v = version_like(slug)
    light, heavy = sorted([w1, w2])
    kw = {"version": v, "on_date": ON, "weight_recorded_on": ON, "override_dose": dose}
    a = calculate_dose(weight_kg=light, **kw)
    b = calculate_dose(weight_kg=heavy, **kw)
    assert a.verdict == b.verdict
    if a.allowed:
        assert a.dose_mg <= b.dose_mg <= v.absolute_max_mg


@given(slug=st.sampled_from(SLUGS), dose=doses, weight=weights)
def test_a_weight_based_dose_without_a_weight_is_always_refused(slug, dose, weight):
    v = version_like(slug)
    r = calculate_dose(version=v, on_date=ON, override_dose=dose)
    if v.is_weight_based:
        assert r.verdict == REFUSED and r.dose_mg is None
