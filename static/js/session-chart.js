/* The session record chart (Chart.js) and the htmx charting row.
 * Data comes from the json_script #chart-data; after each htmx save the server swaps in fresh data
 * out of band and the chart is drawn again. */
(function () {
  "use strict";
  let chart = null;
  const hhmm = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", timeZone: "Europe/London" });
  const COLOURS = { systolic: "#1864ab", diastolic: "#4dabf7", heart_rate: "#c2255c", spo2: "#2b8a3e", pain: "#f08c00", news2: "#212529" };

  // Rate changes (blue dashes) and adverse events (red dots) are vertical lines through the plot; their
  // labels sit above the chart in a lane per kind (#chart-lanes, HTML: real text, hover for the time and
  // reason). Labels that would touch, at the same or close minutes, go to the next row of their lane
  // (records/chart_svg.py does the same for the printed chart), so no label ever prints over another.
  const MARKER_STYLE = { rate: { colour: "#5c7cfa", dash: [6, 4] }, event: { colour: "#e03131", dash: [2, 2] } };
  const LANES = [
    { kind: "rate", title: "Rate", name: "Rate changes on the chart" },
    { kind: "event", title: "Events", name: "Adverse events on the chart" },
  ];
  const LANE_ROW = 22; // px: one row of labels
  const LABEL_GAP = 6; // px: the least space between two labels in a row

  // The row of each [left, right] span: the first where it keeps LABEL_GAP clear of the spans there.
  function stagger(spans) {
    const rows = [];
    return spans.map(function (span) {
      const fits = function (row) {
        return row.every(function (o) { return span[1] + LABEL_GAP <= o[0] || span[0] >= o[1] + LABEL_GAP; });
      };
      let index = rows.findIndex(fits);
      if (index < 0) { rows.push([]); index = rows.length - 1; }
      rows[index].push(span);
      return index;
    });
  }

  function layoutLanes(c, markers) {
    const strip = document.getElementById("chart-lanes");
    if (!strip) return;
    strip.replaceChildren();
    const width = strip.clientWidth;
    LANES.forEach(function (lane) {
      const own = markers.filter(function (m) { return m.kind === lane.kind; })
        .sort(function (a, b) { return Date.parse(a.t) - Date.parse(b.t); });
      if (own.length === 0) return;
      const wrap = document.createElement("div");
      wrap.className = "chart-lane chart-lane-" + lane.kind;
      const title = document.createElement("div");
      title.className = "chart-lane-title";
      title.textContent = lane.title;
      title.style.width = Math.max(c.chartArea.left - 6, 0) + "px";
      const list = document.createElement("ul");
      list.className = "chart-lane-items";
      list.setAttribute("aria-label", lane.name);
      wrap.append(title, list);
      strip.append(wrap);
      const placed = own.map(function (m) {
        const at = hhmm.format(new Date(Date.parse(m.t)));
        const item = document.createElement("li");
        item.className = "chart-marker chart-marker-" + lane.kind;
        item.dataset.testid = "chart-marker";
        item.title = at + " " + m.label + (m.detail ? ": " + m.detail : "");
        const time = document.createElement("span");
        time.className = "visually-hidden";
        time.textContent = at + " ";
        item.append(time, document.createTextNode(m.label));
        list.append(item);
        // A label starts at its line; near the right edge it ends there instead.
        const x = c.scales.x.getPixelForValue(Date.parse(m.t));
        const w = item.offsetWidth;
        const left = x + w <= width ? x : Math.max(x - w, 0);
        item.classList.toggle("chart-marker-end", left !== x);
        item.style.left = left + "px";
        return { item: item, span: [left, left + w] };
      });
      // The lane's title holds the start of its first row, left of the plot.
      const rows = stagger([[0, c.chartArea.left - 2]].concat(placed.map(function (p) { return p.span; }))).slice(1);
      placed.forEach(function (p, i) { p.item.style.top = rows[i] * LANE_ROW + "px"; });
      list.style.height = (Math.max.apply(null, rows) + 1) * LANE_ROW + "px";
    });
  }

  const markerPlugin = {
    id: "sessionMarkers",
    afterLayout(c, _args, opts) {
      layoutLanes(c, opts.markers || []);
    },
    afterDatasetsDraw(c, _args, opts) {
      const { ctx, chartArea, scales } = c;
      (opts.markers || []).forEach(function (m) {
        const x = scales.x.getPixelForValue(Date.parse(m.t));
        if (x < chartArea.left - 1 || x > chartArea.right + 1) return;
        const style = MARKER_STYLE[m.kind] || MARKER_STYLE.rate;
        ctx.save();
        ctx.strokeStyle = style.colour;
        ctx.setLineDash(style.dash);
        ctx.lineWidth = 1.5;
        ctx.beginPath();
        ctx.moveTo(x, 0); // from the canvas top, towards the labels above it
        ctx.lineTo(x, chartArea.bottom);
        ctx.stroke();
        ctx.restore();
      });
    },
  };

  function series(points, key, label, axis, extra) {
    return Object.assign({
      label: label,
      data: points.map(function (p) { return { x: Date.parse(p.t), y: p[key] }; }),
      borderColor: COLOURS[key],
      backgroundColor: COLOURS[key],
      yAxisID: axis,
      tension: 0,
      pointRadius: 3,
      borderWidth: 2,
    }, extra || {});
  }

  function draw() {
    const dataEl = document.getElementById("chart-data");
    const canvas = document.getElementById("session-chart");
    if (!dataEl || !canvas || typeof Chart === "undefined") return;
    const data = JSON.parse(dataEl.textContent);
    const points = data.points || [];
    const box = document.getElementById("chart-box");
    const empty = document.getElementById("chart-empty");
    const lanes = document.getElementById("chart-lanes");
    const key = document.getElementById("chart-marker-legend");
    const markers = points.length ? data.markers || [] : [];
    if (box) box.classList.toggle("d-none", points.length === 0);
    if (empty) empty.classList.toggle("d-none", points.length > 0);
    if (key) key.classList.toggle("d-none", markers.length === 0);
    if (chart) { chart.destroy(); chart = null; }
    if (lanes) lanes.replaceChildren();
    if (points.length === 0) return;
    const times = points.map(function (p) { return Date.parse(p.t); })
      .concat(markers.map(function (m) { return Date.parse(m.t); }));
    // Ticks on round clock times: the smallest step that gives at most 10 of them.
    const MINUTE = 60 * 1000;
    const first = Math.min.apply(null, times), last = Math.max.apply(null, times);
    const step = [5, 10, 15, 30, 60, 120].find(function (m) { return (last - first) / (m * MINUTE) <= 8; }) || 240;
    const xMin = Math.floor((first - 2 * MINUTE) / (step * MINUTE)) * step * MINUTE;
    const xMax = Math.ceil((last + 2 * MINUTE) / (step * MINUTE)) * step * MINUTE;
    chart = new Chart(canvas, {
      type: "line",
      data: {
        datasets: [
          series(points, "systolic", "Systolic BP", "y"),
          series(points, "diastolic", "Diastolic BP", "y"),
          series(points, "heart_rate", "Heart rate", "y"),
          series(points, "spo2", "SpO2 %", "y"),
          series(points, "pain", "Pain (0-10)", "y2", { borderDash: [4, 3] }),
          series(points, "news2", "NEWS2", "y2", {
            borderWidth: 3,
            pointRadius: points.map(function (p) { return p.alert ? 6 : 3; }),
            pointBackgroundColor: points.map(function (p) { return p.alert === 2 ? "#c92a2a" : p.alert === 1 ? "#e67700" : "#212529"; }),
          }),
        ],
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        interaction: { mode: "nearest", axis: "x", intersect: false },
        layout: { padding: { left: 24 } }, // room for the lane titles left of the plot
        scales: {
          x: {
            type: "linear",
            min: xMin,
            max: xMax,
            ticks: { stepSize: step * MINUTE, callback: function (v) { return hhmm.format(new Date(v)); } },
            title: { display: true, text: "Time" },
          },
          y: { min: 0, suggestedMax: 200, title: { display: true, text: "mmHg · /min · %" } },
          y2: { position: "right", min: 0, max: 20, grid: { drawOnChartArea: false }, title: { display: true, text: "NEWS2 · pain" } },
        },
        plugins: {
          legend: { position: "bottom" },
          tooltip: { callbacks: { title: function (items) { return items.length ? hhmm.format(new Date(items[0].parsed.x)) : ""; } } },
          sessionMarkers: { markers: markers },
        },
      },
      plugins: [markerPlugin],
    });
  }

  function focusEntry() {
    const form = document.getElementById("vitals-entry");
    if (!form) return;
    const target = form.querySelector(".is-invalid") || form.querySelector("[data-first-field]");
    if (target) { target.focus(); if (target.select) target.select(); }
  }

  // A record left open on a busy ward still turns red when the next observation falls overdue.
  function checkDue() {
    const due = document.querySelector("[data-testid=observation-due][data-due-at]");
    if (!due || due.dataset.overdue) return;
    const at = Date.parse(due.dataset.dueAt);
    if (Date.now() <= at) return;
    due.dataset.overdue = "true";
    due.classList.remove("alert-light", "border");
    due.classList.add("alert-danger");
    due.querySelector(".due-text").innerHTML = "<strong>Observations overdue</strong> since " + hhmm.format(new Date(at)) + ".";
  }

  document.addEventListener("DOMContentLoaded", function () { draw(); checkDue(); setInterval(checkDue, 30000); });
  // A refused row comes back as 422 with the form and its inline errors: swap it in too.
  document.addEventListener("htmx:beforeSwap", function (evt) {
    if (evt.detail.xhr.status === 422) { evt.detail.shouldSwap = true; evt.detail.isError = false; }
  });
  document.addEventListener("htmx:afterSettle", function (evt) {
    if (evt.detail.target && evt.detail.target.id === "vitals-entry" || (evt.detail.elt && evt.detail.elt.id === "vitals-entry")) {
      draw();
      focusEntry();
    }
  });
  window.sessionChart = { draw: draw, stagger: stagger, get chart() { return chart; } };
})();
