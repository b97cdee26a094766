"""The session chart in a real browser: rate changes and adverse events at the same minute are labelled
in their own lanes above the plot and no two labels overlap, on a desktop and on a phone; the printable
record shows the server-drawn SVG chart."""

from datetime import timedelta
from itertools import combinations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from records import services
from tests import factories
from tests.conftest import ARTIFACTS, login, screenshot

from .conftest import chart, chart_markers_at_one_minute

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def overlapping(boxes):
    return [
        (a, b)
        for a, b in combinations(boxes, 2)
        if a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    ]


def test_chart_labels_at_the_same_minute_never_overlap_on_screen_or_in_print(
    page, live_server, make_session, clinic_morning_ticking
):
    page.clock.install(time=clinic_morning_ticking)
    nurse = factories.nurse_user(username="nurse", first_name="Nora", last_name="Nurse")
    session = make_session(patient=factories.PatientFactory(first_name="Ada", last_name="Lovelace"))
    now = timezone.now()
    services.start_infusion(session=session, by=nurse, started_at=now - timedelta(minutes=60))
    for minutes, values in ((55, {}), (40, {}), (25, {"systolic": 88, "heart_rate": 115}), (10, {})):
        chart(session, nurse, minutes_ago=minutes, **values)
    at = chart_markers_at_one_minute(session, nurse, minutes_ago=30)
    services.pause_infusion(session=session, by=nurse, reason="Dizzy", changed_at=at + timedelta(minutes=1))

    login(page, "nurse")
    for width, height, name in ((1366, 900, "desktop"), (390, 844, "phone")):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"/sessions/{session.pk}/record/")
        markers = page.get_by_test_id("chart-marker")
        expect(markers).to_have_count(5)
        page.wait_for_function("window.sessionChart.chart !== null")
        boxes = [m.bounding_box() for m in markers.all()]
        assert not overlapping(boxes), (name, boxes)
        lanes = page.get_by_test_id("chart-lanes")
        expect(
            lanes.get_by_role("list", name="Rate changes on the chart").get_by_role("listitem")
        ).to_have_count(3)
        events = lanes.get_by_role("list", name="Adverse events on the chart").get_by_role("listitem")
        expect(events).to_have_count(2)
        # Free text is text, never markup; the time is there for a screen reader.
        expect(events.nth(1)).to_have_text(f"{timezone.localtime(at):%H:%M} <script>x()</script> (mild)")
        # Every label stays inside the chart's card: nothing runs off the side of a phone.
        card = page.locator("#chart-lanes").bounding_box()
        assert all(
            b["x"] >= card["x"] - 1 and b["x"] + b["width"] <= card["x"] + card["width"] + 1 for b in boxes
        )
        expect(page.locator("#chart-marker-legend")).to_be_visible()
        page.locator("#chart-box").scroll_into_view_if_needed()
        screenshot(page, f"chart-01-record-{name}")

    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"/sessions/{session.pk}/record/print/")
    svg = page.locator("[data-testid=print-chart] svg[role=img]")
    expect(svg).to_be_visible()
    labels = [g.bounding_box() for g in svg.locator("g.marker-label text").all()]
    assert len(labels) == 5
    assert not overlapping(labels), labels
    page.emulate_media(media="print")
    screenshot(page, "chart-02-print")
    pdf = page.request.get(f"/sessions/{session.pk}/record/record.pdf")
    assert pdf.ok and pdf.body().startswith(b"%PDF")
    (ARTIFACTS / "chart-03-record.pdf").write_bytes(pdf.body())
