"""The session chart as SVG, drawn on the server for the printable record and its PDF.

WeasyPrint runs no JavaScript, so the Chart.js chart of the record page cannot be printed into a PDF;
this draws the same picture from the same data (records.selectors.chart_data): blood pressure, heart rate
and SpO2 on the left axis, pain and NEWS2 on the right, the time axis in UK clock time, and the rate
changes and adverse events as labelled markers, each kind in its own lane above the plot. Labels that
would touch (the same or close minutes) go to the next row of their lane (`stagger`), as on screen
(static/js/session-chart.js does the same with the labels' real widths).

The SVG is built with ElementTree, so every text (an adverse event's free text, a nurse's note) is
escaped and the result is well-formed XML. A pure function: no queries, no clock.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from django.utils import timezone

WIDTH = 700
LEFT = 110  # room for the lane titles and the left axis
RIGHT = 52
PLOT_HEIGHT = 230
FONT = 11  # px, every text of the chart
ROW = 18  # height of one row of marker labels
GAP = 6  # the least space between two labels in a row
LABEL_MAX_CHARS = 34  # longer labels are cut with "…" (the lists under the chart give every word)

# The record page's colours (static/js/session-chart.js), so that screen and paper read alike.
SERIES = (
    # key, label, colour, axis, dash
    ("systolic", "Systolic BP", "#1864ab", "left", None),
    ("diastolic", "Diastolic BP", "#4dabf7", "left", None),
    ("heart_rate", "Heart rate", "#c2255c", "left", None),
    ("spo2", "SpO2 %", "#2b8a3e", "left", None),
    ("pain", "Pain (0-10)", "#f08c00", "right", "4 3"),
    ("news2", "NEWS2", "#212529", "right", None),
)
ALERT_COLOURS = {2: "#c92a2a", 1: "#e67700"}
LANES = (
    # kind, lane title, line colour, text colour, dash of the line through the plot
    ("rate", "Rate changes", "#5c7cfa", "#364fc7", "6 4"),
    ("event", "Adverse events", "#e03131", "#c92a2a", "2 2"),
)
TICK_STEPS_MINUTES = (5, 10, 15, 30, 60, 120)
RIGHT_AXIS_MAX = 20

# Advance widths in em, on the generous side of DejaVu Sans (the widest common sans-serif, and the one
# WeasyPrint finds on a Debian server), so that an estimated label box is never narrower than its text.
_NARROW = set("iljI.,:;'|!")
_SEMI = set("frt()[]/- ")
_WIDE = set("mwMW%")


def text_width(text: str, size: float = FONT) -> float:
    """An estimate of the width of `text` in px, never short of what a sans-serif font draws."""
    em = 0.0
    for char in text:
        if char in _NARROW:
            em += 0.34
        elif char in _SEMI:
            em += 0.44
        elif char in _WIDE:
            em += 1.0
        elif char.isupper():
            em += 0.78
        else:
            em += 0.66
    return em * size


def stagger(spans: list[tuple[float, float]], *, gap: float = GAP) -> list[int]:
    """The row of each (left, right) span, in the order given: the first row where it keeps `gap`
    clear of every span already there. Spans at the same place stack; spans apart share row 0."""
    rows: list[list[tuple[float, float]]] = []
    placed = []
    for left, right in spans:
        for index, row in enumerate(rows):
            if all(right + gap <= other_left or left >= other_right + gap for other_left, other_right in row):
                row.append((left, right))
                placed.append(index)
                break
        else:
            rows.append([(left, right)])
            placed.append(len(rows) - 1)
    return placed


def _moment(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def _hhmm(moment: datetime) -> str:
    return f"{timezone.localtime(moment):%H:%M}"


def _short(text: str) -> str:
    return text if len(text) <= LABEL_MAX_CHARS else text[: LABEL_MAX_CHARS - 1].rstrip() + "…"


def time_range(moments: list[datetime]) -> tuple[float, float, int]:
    """The time axis in epoch seconds, on round clock times, as the record page draws it: the smallest
    step of ticks that gives at most eight intervals, two minutes' margin either side."""
    first = min(m.timestamp() for m in moments)
    last = max(m.timestamp() for m in moments)
    step_minutes = next((s for s in TICK_STEPS_MINUTES if (last - first) / (s * 60) <= 8), 240)
    step = step_minutes * 60
    start = math.floor((first - 120) / step) * step
    end = math.ceil((last + 120) / step) * step
    return start, end, step


def _left_axis_max(points) -> int:
    highest = max(
        (p[key] for p in points for key, *_rest in SERIES[:4] if p.get(key) is not None),
        default=0,
    )
    return max(200, math.ceil(highest / 50) * 50)


def _fmt(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


class _Canvas:
    """A thin layer over ElementTree: each call adds one SVG element under `parent`."""

    def __init__(self, root):
        self.root = root

    def add(self, parent, tag, text=None, **attrs):
        element = ET.SubElement(
            parent if parent is not None else self.root,
            tag,
            {
                k.rstrip("_").replace("_", "-"): (_fmt(v) if isinstance(v, float) else str(v))
                for k, v in attrs.items()
            },
        )
        if text is not None:
            element.text = text
        return element

    def text(self, parent, x, y, text, **attrs):
        return self.add(parent, "text", text, x=float(x), y=float(y), font_size=FONT, **attrs)


def _summary(points, markers) -> str:
    moments = [_moment(p["t"]) for p in points]
    rates = sum(1 for m in markers if m["kind"] == "rate")
    events = sum(1 for m in markers if m["kind"] == "event")
    readings = "1 observation" if len(points) == 1 else f"{len(points)} observations"
    return (
        f"{readings} from {_hhmm(min(moments))} to {_hhmm(max(moments))}: blood pressure, heart rate and "
        f"SpO2 on the left axis, pain and NEWS2 on the right; {rates} rate change{'s' * (rates != 1)} and "
        f"{events} adverse event{'s' * (events != 1)} marked. The tables of the record list every value."
    )


def _lane_layout(markers, *, x_of, plot_left):
    """Each lane's labels: (kind, [(marker, text, left, right, row)], rows) for the lanes in use."""
    lanes = []
    for kind, *_style in LANES:
        own = sorted((m for m in markers if m["kind"] == kind), key=lambda m: _moment(m["t"]))
        if not own:
            continue
        boxes = []
        for marker in own:
            text = _short(marker["label"])
            x = x_of(_moment(marker["t"]))
            width = text_width(text) + 10
            # A label starts at its line; near the right edge it ends there instead.
            left = x if x + width <= WIDTH else max(x - width, 0.0)
            right = left + width
            boxes.append((marker, text, x, left, right))
        # The lane's title holds the start of its first row, left of the plot.
        rows = stagger([(0, plot_left - 2), *((left, right) for *_m, left, right in boxes)])[1:]
        lanes.append((kind, [(*box, row) for box, row in zip(boxes, rows, strict=True)], max(rows) + 1))
    return lanes


def session_chart_svg(chart: dict) -> str:
    """The chart of a session record as an SVG string; "" when nothing was observed (there is no chart
    to draw: the page says so in words)."""
    points = chart.get("points") or []
    markers = chart.get("markers") or []
    if not points:
        return ""
    moments = [_moment(p["t"]) for p in points] + [_moment(m["t"]) for m in markers]
    start, end, step = time_range(moments)
    plot_left, plot_right = LEFT, WIDTH - RIGHT

    def x_of(moment: datetime) -> float:
        return plot_left + (moment.timestamp() - start) * (plot_right - plot_left) / (end - start)

    lanes = _lane_layout(markers, x_of=x_of, plot_left=plot_left)
    lanes_height = sum(rows * ROW + 6 for *_rest, rows in lanes)
    plot_top = 8 + lanes_height + (6 if lanes else 0)
    plot_bottom = plot_top + PLOT_HEIGHT
    left_max = _left_axis_max(points)

    def y_left(value):
        return plot_bottom - value * PLOT_HEIGHT / left_max

    def y_right(value):
        return plot_bottom - value * PLOT_HEIGHT / RIGHT_AXIS_MAX

    legend_top = plot_bottom + 48
    legend = _legend_items(markers)
    legend_rows = _legend_rows(legend)
    height = legend_top + len(legend_rows) * 18 + 4

    root = ET.Element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "viewBox": f"0 0 {WIDTH} {height:.0f}",
            "width": str(WIDTH),
            "height": f"{height:.0f}",
            "role": "img",
            "aria-labelledby": "session-chart-svg-title session-chart-svg-desc",
            "class": "session-chart-svg",
            "font-family": "DejaVu Sans, Arial, Helvetica, sans-serif",
        },
    )
    svg = _Canvas(root)
    svg.add(None, "title", "Observations chart", id="session-chart-svg-title")
    svg.add(None, "desc", _summary(points, markers), id="session-chart-svg-desc")

    # Grid, axes and their labels.
    axes = svg.add(None, "g", class_="axes", stroke="#ced4da", stroke_width=1)
    for value in range(0, left_max + 1, 50):
        y = y_left(value)
        svg.add(axes, "line", x1=float(plot_left), y1=y, x2=float(plot_right), y2=y)
        svg.text(None, plot_left - 4, y + 3.5, str(value), text_anchor="end", fill="#495057")
    for value in range(0, RIGHT_AXIS_MAX + 1, 5):
        svg.text(None, plot_right + 4, y_right(value) + 3.5, str(value), fill="#495057")
    tick = start
    while tick <= end:
        x = x_of(datetime.fromtimestamp(tick, tz=UTC))
        svg.add(axes, "line", x1=x, y1=float(plot_top), x2=x, y2=plot_bottom + 4.0)
        svg.text(
            None,
            x,
            plot_bottom + 16,
            _hhmm(datetime.fromtimestamp(tick, tz=UTC)),
            text_anchor="middle",
            fill="#212529",
        )
        tick += step
    svg.add(
        axes,
        "rect",
        x=float(plot_left),
        y=float(plot_top),
        width=float(plot_right - plot_left),
        height=float(PLOT_HEIGHT),
        fill="none",
        stroke="#868e96",
    )
    svg.text(
        None,
        (plot_left + plot_right) / 2,
        plot_bottom + 32,
        "Time (UK)",
        text_anchor="middle",
        fill="#212529",
    )
    middle = (plot_top + plot_bottom) / 2
    svg.text(
        None,
        0,
        0,
        "mmHg · /min · %",
        text_anchor="middle",
        fill="#212529",
        transform=f"translate({plot_left - 34} {middle:.1f}) rotate(-90)",
    )
    svg.text(
        None,
        0,
        0,
        "NEWS2 · pain",
        text_anchor="middle",
        fill="#212529",
        transform=f"translate({plot_right + 36} {middle:.1f}) rotate(90)",
    )

    # Marker lines through the plot, under the readings.
    styles = {kind: (colour, text_colour, dash) for kind, _title, colour, text_colour, dash in LANES}
    lines = svg.add(None, "g", class_="marker-lines", stroke_width=1.5, fill="none")
    for marker in markers:
        colour, _text_colour, dash = styles[marker["kind"]]
        x = x_of(_moment(marker["t"]))
        svg.add(
            lines,
            "line",
            x1=x,
            y1=float(plot_top),
            x2=x,
            y2=float(plot_bottom),
            stroke=colour,
            stroke_dasharray=dash,
        )

    # The readings.
    for key, label, colour, axis, dash in SERIES:
        y_of = y_left if axis == "left" else y_right
        series = [(x_of(_moment(p["t"])), y_of(p[key]), p) for p in points if p.get(key) is not None]
        group = svg.add(None, "g", class_=f"series series-{key}", **{"aria-label": label})
        if len(series) > 1:
            svg.add(
                group,
                "polyline",
                points=" ".join(f"{x:.1f},{y:.1f}" for x, y, _p in series),
                fill="none",
                stroke=colour,
                stroke_width=3 if key == "news2" else 2,
                **({"stroke_dasharray": dash} if dash else {}),
            )
        for x, y, point in series:
            alert = point.get("alert") if key == "news2" else 0
            svg.add(
                group, "circle", cx=x, cy=y, r=4.5 if alert else 2.5, fill=ALERT_COLOURS.get(alert, colour)
            )

    # The labelled markers, each kind in its lane above the plot.
    top = 8.0
    for kind, boxes, rows in lanes:
        _colour, text_colour, _dash = styles[kind]
        title = next(t for k, t, *_s in LANES if k == kind)
        lane = svg.add(None, "g", class_=f"lane lane-{kind}")
        svg.text(
            lane, plot_left - 6, top + 12, title, text_anchor="end", fill=text_colour, font_weight="bold"
        )
        svg.add(
            lane,
            "line",
            x1=float(plot_left),
            y1=top + rows * ROW + 2,
            x2=float(plot_right),
            y2=top + rows * ROW + 2,
            stroke="#dee2e6",
        )
        for marker, text, x, left, right, row in boxes:
            y = top + row * ROW
            label = svg.add(lane, "g", class_="marker-label", data_kind=kind)
            full = f"{_hhmm(_moment(marker['t']))} {marker['label']}"
            if marker.get("detail"):
                full += f": {marker['detail']}"
            svg.add(label, "title", full)
            svg.add(
                label,
                "rect",
                x=left,
                y=y,
                width=right - left,
                height=float(ROW - 3),
                rx=2.0,
                fill="#ffffff",
                stroke=styles[kind][0],
            )
            svg.text(label, left + (6 if x == left else 4), y + 11.5, text, fill=text_colour)
            # A bar on the side of the label that stands on the marker's minute (its line in the plot).
            svg.add(
                label,
                "rect",
                x=left if x == left else right - 3,
                y=y,
                width=3.0,
                height=float(ROW - 3),
                fill=styles[kind][0],
            )
        top += rows * ROW + 6

    # The legend: every series and marker kind.
    legend_group = svg.add(None, "g", class_="legend")
    for row_index, row in enumerate(legend_rows):
        y = legend_top + row_index * 18
        for x, (label, colour, dash, shape) in row:
            if shape == "point":
                svg.add(legend_group, "circle", cx=x + 9.0, cy=y - 3.5, r=4.5, fill=colour)
            elif shape == "vline":
                svg.add(
                    legend_group,
                    "line",
                    x1=x + 9.0,
                    y1=y - 10.0,
                    x2=x + 9.0,
                    y2=y + 3.0,
                    stroke=colour,
                    stroke_width=1.5,
                    stroke_dasharray=dash,
                )
            else:
                svg.add(
                    legend_group,
                    "line",
                    x1=float(x),
                    y1=y - 3.5,
                    x2=x + 18.0,
                    y2=y - 3.5,
                    stroke=colour,
                    stroke_width=2,
                    **({"stroke_dasharray": dash} if dash else {}),
                )
            svg.text(legend_group, x + 22, y, label, fill="#212529")
    return ET.tostring(root, encoding="unicode")


def _legend_items(markers):
    items = [(label, colour, dash, "line") for _key, label, colour, _axis, dash in SERIES]
    items.append(("NEWS2 alert", ALERT_COLOURS[1], None, "point"))
    kinds = {m["kind"] for m in markers}
    items += [
        (title[:-1].capitalize(), colour, dash, "vline")
        for kind, title, colour, _t, dash in LANES
        if kind in kinds
    ]
    return items


def _legend_rows(items):
    """The legend items placed left to right, wrapping onto a new row at the chart's width."""
    rows, row, x = [], [], float(LEFT)
    for item in items:
        width = 22 + text_width(item[0]) + 14
        if row and x + width > WIDTH:
            rows.append(row)
            row, x = [], float(LEFT)
        row.append((x, item))
        x += width
    if row:
        rows.append(row)
    return rows
