"""Properties of the rate rule and of the delivered dose (pure functions, no database).

Whatever a nurse enters, in whatever order: no accepted rate is above the hard maximum, the dose
delivered never exceeds the bag (so never the hard limit), and it equals the integral of the
timeline, computed here minute by minute as an independent check."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from protocols.dosing import calculate_dose, delivered, judge_rate

from .conftest import ON, version_like

SLUGS = [
    "lidocaine",
    "ketamine",
    "magnesium-sulphate",
    "zoledronic-acid",
    "pamidronate",
    "methylprednisolone",
]
T0 = datetime(2027, 3, 28, 0, 30, tzinfo=UTC)  # across the spring clock change in UK time

rates = st.decimals(min_value=D("0.1"), max_value=D("1500"), places=1)
steps = st.lists(
    st.tuples(
        st.sampled_from(["rate", "pause", "resume", "stop"]),
        st.integers(min_value=0, max_value=40),  # minutes since the step before
        rates,
    ),
    max_size=12,
)


def bag(slug, weight):
    version = version_like(slug)
    result = calculate_dose(version=version, weight_kg=weight, weight_recorded_on=ON, on_date=ON)
    assert result.allowed
    return version, result


def minute_by_minute(timeline, until, volume):
    """The integral as a nurse would add it up: each whole minute at the rate then running."""
    total, rate = Fraction(0), Fraction(0)
    moments = {m: (k, r) for m, k, r in timeline}
    minute = timeline[0][0]
    while minute < until:
        if minute in moments:
            kind, value = moments[minute]
            if kind == "stop":
                break
            rate = Fraction(value) if kind in ("start", "rate", "resume") else Fraction(0)
        total += rate / 60
        minute += timedelta(minutes=1)
    return min(total, Fraction(volume))


@settings(max_examples=150, deadline=None)
@given(
    slug=st.sampled_from(SLUGS),
    weight=st.decimals(min_value=D("40"), max_value=D("150"), places=1),
    plan=steps,
    tail=st.integers(min_value=0, max_value=300),
)
def test_no_sequence_runs_faster_than_the_maximum_or_gives_more_than_the_bag(slug, weight, plan, tail):
    version, result = bag(slug, weight)
    weight_kg = weight if result.dose_per_kg is not None else None
    basis = dict(
        version=version,
        dose_mg=result.dose_mg,
        volume_ml=result.volume_ml,
        weight_kg=weight_kg,
        duration_minutes=result.duration_minutes,
    )
    start = judge_rate(rate_ml_per_h=result.rate_ml_per_h, **basis)
    assert start.allowed  # the planned rate always passes its own rule
    hard = start.limits.hard_ml_per_h
    timeline = [(T0, "start", result.rate_ml_per_h)]
    state, moment = "running", T0
    for kind, minutes, rate in plan:
        moment += timedelta(minutes=minutes)
        if state == "stopped":
            break
        if kind in ("rate", "resume"):
            if (kind == "rate") != (state == "running"):
                continue
            verdict = judge_rate(rate_ml_per_h=rate, **basis)
            if not verdict.allowed:
                assert rate > hard
                continue
            assert rate <= hard  # never faster than every hard limit allows
            timeline.append((moment, kind, rate))
            state = "running"
        elif kind == "pause" and state == "running":
            timeline.append((moment, "pause", D(0)))
            state = "paused"
        elif kind == "stop":
            timeline.append((moment, "stop", D(0)))
            state = "stopped"
    until = moment + timedelta(minutes=tail)
    given_ = delivered(timeline=timeline, until=until, volume_ml=result.volume_ml, dose_mg=result.dose_mg)
    assert given_.volume_ml <= result.volume_ml
    assert given_.dose_mg <= result.dose_mg
    # The bag itself is within the hard limit (or capped at the absolute maximum).
    assert result.dose_mg <= D(version.absolute_max_mg)
    exact = minute_by_minute(timeline, until, result.volume_ml)
    assert given_.exact_volume == exact
    # ... and the dose is that volume's share of the bag, rounded half up to 0.1 mg.
    share = exact * Fraction(result.dose_mg) / Fraction(result.volume_ml)
    assert abs(Fraction(given_.dose_mg) - share) <= Fraction(1, 20)


@settings(max_examples=200, deadline=None)
@given(
    slug=st.sampled_from(SLUGS),
    weight=st.decimals(min_value=D("40"), max_value=D("150"), places=1),
    rate=rates,
)
def test_a_rate_is_refused_exactly_when_it_is_above_the_hard_maximum(slug, weight, rate):
    version, result = bag(slug, weight)
    verdict = judge_rate(
        version=version,
        rate_ml_per_h=rate,
        dose_mg=result.dose_mg,
        volume_ml=result.volume_ml,
        weight_kg=weight if result.dose_per_kg is not None else None,
    )
    assert verdict.allowed == (rate <= verdict.limits.hard_ml_per_h)
    if verdict.allowed and rate > verdict.limits.soft_ml_per_h:
        assert verdict.requires_reason
