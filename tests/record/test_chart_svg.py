"""The printed chart (records/chart_svg.py): well-formed SVG from the record page's chart data, UK times,
markers in their own lanes whose labels never overlap, every text escaped; in the printable record and
its PDF, with the print view's queries unchanged."""

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from io import BytesIO
from itertools import combinations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from records import services
from records.chart_svg import session_chart_svg, stagger, text_width
from records.selectors import record_page

from .conftest import chart, chart_markers_at_one_minute, finish

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"


def reading(at: datetime, **values):
    point = dict(systolic=120, diastolic=75, heart_rate=80, spo2=97, pain=4, news2=1, alert=0)
    return {"t": at.isoformat(), **point, **values}


def marker(at: datetime, kind: str, label: str, detail: str = ""):
    return {"t": at.isoformat(), "kind": kind, "label": label, "detail": detail}


def parse(svg: str):
    return ET.fromstring(svg)


def label_boxes(root):
    """(kind, text, x, y, width, height) of every marker label: its outline rect and its text."""
    boxes = []
    for group in root.iter(f"{SVG}g"):
        if group.get("class") != "marker-label":
            continue
        rect = group.find(f"{SVG}rect")
        boxes.append(
            (
                group.get("data-kind"),
                group.find(f"{SVG}text").text,
                *(float(rect.get(a)) for a in ("x", "y", "width", "height")),
            )
        )
    return boxes


def overlap(a, b):
    _k1, _t1, x1, y1, w1, h1 = a
    _k2, _t2, x2, y2, w2, h2 = b
    return x1 < x2 + w2 and x2 < x1 + w1 and y1 < y2 + h2 and y2 < y1 + h1


WINTER = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # 10:00 GMT
SUMMER = datetime(2026, 6, 10, 9, 0, tzinfo=UTC)  # 10:00 BST


# --- the SVG on its own ---------------------------------------------------------------------------


def test_it_is_well_formed_svg_with_a_title_a_description_and_the_role_of_an_image():
    svg = session_chart_svg(
        {"points": [reading(WINTER), reading(WINTER + timedelta(minutes=15))], "markers": []}
    )
    root = parse(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title.text == "Observations chart"
    assert desc.text.startswith("2 observations from 10:00 to 10:15")
    assert root.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"


def test_it_labels_both_axes_and_every_series_in_the_legend():
    root = parse(
        session_chart_svg({"points": [reading(WINTER)], "markers": [marker(WINTER, "rate", "Started")]})
    )
    texts = [t.text for t in root.iter(f"{SVG}text")]
    for label in ("Time (UK)", "mmHg · /min · %", "NEWS2 · pain"):
        assert label in texts
    legend = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "legend")
    assert [t.text for t in legend.iter(f"{SVG}text")] == [
        "Systolic BP",
        "Diastolic BP",
        "Heart rate",
        "SpO2 %",
        "Pain (0-10)",
        "NEWS2",
        "NEWS2 alert",
        "Rate change",
    ]


def test_the_time_axis_reads_uk_clock_time_in_summer_and_in_winter():
    for moment in (WINTER, SUMMER):
        points = [reading(moment + timedelta(minutes=m)) for m in (0, 30, 60)]
        texts = [
            t.text for t in parse(session_chart_svg({"points": points, "markers": []})).iter(f"{SVG}text")
        ]
        assert {"10:00", "10:30", "11:00"} <= set(texts), texts
        assert "09:00" not in texts


def test_each_series_draws_a_line_through_its_readings():
    points = [reading(WINTER + timedelta(minutes=m), news2=n) for m, n in ((0, 1), (15, 3), (30, 5))]
    root = parse(session_chart_svg({"points": points, "markers": []}))
    for key in ("systolic", "diastolic", "heart_rate", "spo2", "pain", "news2"):
        group = next(g for g in root.iter(f"{SVG}g") if g.get("class") == f"series series-{key}")
        assert len(group.find(f"{SVG}polyline").get("points").split()) == 3
        assert len(group.findall(f"{SVG}circle")) == 3


def test_an_alerting_news2_reading_is_a_larger_coloured_point():
    points = [reading(WINTER, news2=1), reading(WINTER + timedelta(minutes=15), news2=5, alert=1)]
    root = parse(session_chart_svg({"points": points, "markers": []}))
    news2 = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "series series-news2")
    circles = news2.findall(f"{SVG}circle")
    assert [c.get("fill") for c in circles] == ["#212529", "#e67700"]
    assert float(circles[1].get("r")) > float(circles[0].get("r"))


def test_markers_at_the_same_minute_sit_in_their_own_lanes_and_rows_and_never_overlap():
    at = WINTER + timedelta(minutes=30)
    markers = [
        marker(WINTER, "rate", "Started 285 mL/h"),
        marker(at, "rate", "Rate changed 142.5 mL/h"),
        marker(at, "rate", "Paused"),
        marker(at + timedelta(minutes=1), "rate", "Resumed 142.5 mL/h"),
        marker(at, "event", "Dizziness (mild)"),
        marker(at, "event", "Nausea (moderate)"),
        marker(at + timedelta(minutes=2), "event", "Perioral tingling (mild)"),
        marker(WINTER + timedelta(minutes=60), "rate", "Stopped"),
    ]
    points = [reading(WINTER + timedelta(minutes=m)) for m in (5, 20, 35, 50)]
    root = parse(session_chart_svg({"points": points, "markers": markers}))
    boxes = label_boxes(root)
    assert len(boxes) == len(markers)
    for a, b in combinations(boxes, 2):
        assert not overlap(a, b), (a, b)
    # Each box is at least as wide as a generous estimate of its text, inside the drawing.
    width = float(root.get("width"))
    for _kind, text, x, _y, w, _h in boxes:
        assert w >= text_width(text) and 0 <= x and x + w <= width
    # The lanes: every rate label above every event label; same-minute labels of a kind stack.
    rate_bottom = max(y + h for kind, _t, _x, y, _w, h in boxes if kind == "rate")
    event_top = min(y for kind, _t, _x, y, _w, _h in boxes if kind == "event")
    assert rate_bottom < event_top
    same_minute = [
        y for kind, text, _x, y, _w, _h in boxes if text in ("Dizziness (mild)", "Nausea (moderate)")
    ]
    assert len(set(same_minute)) == 2
    # Labels far apart share the first row of their lane.
    first_row = {text: y for _k, text, _x, y, _w, _h in boxes}
    assert first_row["Started 285 mL/h"] == first_row["Stopped"]


def test_a_label_near_the_right_edge_ends_at_its_line_instead_of_leaving_the_drawing():
    points = [reading(WINTER), reading(WINTER + timedelta(minutes=60))]
    markers = [marker(WINTER + timedelta(minutes=61), "event", "Other: a long description of it all")]
    root = parse(session_chart_svg({"points": points, "markers": markers}))
    [(_kind, _text, x, _y, w, _h)] = label_boxes(root)
    assert x + w <= float(root.get("width"))


def test_every_text_is_escaped_and_a_long_label_is_cut():
    script = "<script>alert('chart')</script>"
    markers = [marker(WINTER, "event", f"{script} & more (mild)", detail=f"Given {script}")]
    svg = session_chart_svg({"points": [reading(WINTER)], "markers": markers})
    assert "<script" not in svg
    assert "&lt;script&gt;" in svg
    root = parse(svg)
    [label] = [g for g in root.iter(f"{SVG}g") if g.get("class") == "marker-label"]
    assert label.find(f"{SVG}title").text == f"10:00 {script} & more (mild): Given {script}"
    assert label.find(f"{SVG}text").text.endswith("…")


def test_with_no_observation_there_is_no_chart():
    assert session_chart_svg({"points": [], "markers": [marker(WINTER, "rate", "Started")]}) == ""
    assert session_chart_svg({}) == ""


def test_stagger_stacks_spans_at_one_place_and_keeps_apart_spans_on_the_first_row():
    assert stagger([(0, 50), (0, 50), (0, 50)]) == [0, 1, 2]
    assert stagger([(0, 50), (60, 100), (200, 250)]) == [0, 0, 0]
    assert stagger([(0, 50), (52, 100)]) == [0, 1]  # closer than the gap
    assert stagger([(0, 50), (20, 70), (58, 100)]) == [0, 1, 0]


def test_a_high_blood_pressure_raises_the_left_axis():
    root = parse(session_chart_svg({"points": [reading(WINTER, systolic=238)], "markers": []}))
    texts = {t.text for t in root.iter(f"{SVG}text")}
    assert "250" in texts


# --- in the printable record and its PDF ----------------------------------------------------------


def print_url(session, name="session_record_print"):
    return reverse(f"records:{name}", args=[session.pk])


def chart_with_markers(session, nurse):
    """Three readings; at one minute a rate change and two adverse events, one with markup in its text."""
    for minutes in (40, 25, 10):
        chart(session, nurse, minutes_ago=minutes)
    chart_markers_at_one_minute(session, nurse, minutes_ago=20)


def test_the_printable_record_holds_the_chart_with_every_marker(started_session, nurse, nurse_client):
    chart_with_markers(started_session, nurse)
    response = nurse_client.get(print_url(started_session))
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count("<svg") == 1
    assert "<script>x()</script>" not in body and "<script>alert(1)</script>" not in body
    start, end = body.index("<svg"), body.index("</svg>") + len("</svg>")
    root = parse(body[start:end])
    assert root.get("role") == "img"
    boxes = label_boxes(root)
    assert sorted(text for _k, text, *_rest in boxes) == sorted(
        ["Started 285 mL/h", "Rate changed 142.5 mL/h", "Dizziness (mild)", "<script>x()</script> (mild)"]
    )
    for a, b in combinations(boxes, 2):
        assert not overlap(a, b), (a, b)
    assert "session-chart.js" not in body  # drawn on the server: nothing for the printer to run


def test_the_printable_record_of_a_session_without_observations_says_so_in_words(
    started_session, nurse_client
):
    body = nurse_client.get(print_url(started_session)).content.decode()
    assert "<svg" not in body
    assert "No chart: no observations were charted in this session." in body


def test_the_print_view_makes_the_same_queries_with_the_chart(
    started_session, make_session, nurse, nurse_client, django_assert_max_num_queries
):
    from .test_views import QUERY_BUDGET

    large = make_session()
    services.start_infusion(session=large, by=nurse, started_at=timezone.now() - timedelta(minutes=80))
    chart(started_session, nurse, minutes_ago=30)
    chart_with_markers(large, nurse)
    for minutes in range(70, 45, -3):
        chart(large, nurse, minutes_ago=minutes)
    counts = []
    for session in (started_session, large):
        with django_assert_max_num_queries(QUERY_BUDGET), CaptureQueriesContext(connection) as ctx:
            response = nurse_client.get(print_url(session))
        assert b"<svg" in response.content
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


def test_the_pdf_draws_the_chart(started_session, nurse, nurse_client):
    from pypdf import PdfReader

    chart_with_markers(started_session, nurse)
    finish(started_session, nurse)
    response = nurse_client.get(print_url(started_session, "session_record_pdf"))
    assert response.status_code == 200
    reader = PdfReader(BytesIO(response.content))
    text = "".join(page.extract_text() for page in reader.pages)
    for label in ("Time (UK)", "Rate changes", "Rate changed 142.5 mL/h", "Dizziness (mild)", "NEWS2 alert"):
        assert label in text, label
    page_chart = next(iter(record_page(pk=started_session.pk).chart["points"]))
    assert f"{timezone.localtime(datetime.fromisoformat(page_chart['t'])):%H}:" in text
    # The chart is drawn, not only written: its lines are path operators in the page's content stream.
    content = b"".join(page.get_contents().get_data() for page in reader.pages)
    assert content.count(b" l\n") + content.count(b" l ") > 20
