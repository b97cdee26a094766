/* The session record chart (Chart.js) and the htmx charting row.
 * Data comes from the json_script #chart-data; after each htmx save the server swaps in fresh data
 * out of band and the chart is drawn again. */
(function () {
  "use strict";
  let chart = null;
  const hhmm = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", timeZone: "Europe/London" });
  const COLOURS = { systolic: "#1864ab", diastolic: "#4dabf7", heart_rate: "#c2255c", spo2: "#2b8a3e", pain: "#f08c00", news2: "#212529" };

  // Vertical dashed lines for rate changes (blue) and adverse events (red), labelled at the top.
  const markerPlugin = {
    id: "sessionMarkers",
    afterDatasetsDraw(c, _args, opts) {
      const { ctx, chartArea, scales } = c;
      (opts.markers || []).forEach(function (m, i) {
        const x = scales.x.getPixelForValue(Date.parse(m.t));
        if (x < chartArea.left - 1 || x > chartArea.right + 1) return;
        ctx.save();
        ctx.strokeStyle = m.kind === "event" ? "#e03131" : "#5c7cfa";
        ctx.setLineDash(m.kind === "event" ? [2, 2] : [6, 4]);
        ctx.lineWidth = 1.5;
        ctx.beginPath();
        ctx.moveTo(x, chartArea.top);
        ctx.lineTo(x, chartArea.bottom);
        ctx.stroke();
        ctx.setLineDash([]);
        ctx.fillStyle = ctx.strokeStyle;
        ctx.font = "11px system-ui, sans-serif";
        ctx.translate(x + 3, chartArea.top + 4 + (i % 2) * 2);
        ctx.rotate(Math.PI / 2);
        ctx.fillText((m.kind === "event" ? "\u26A0 " : "") + m.label, 0, 0);
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
    if (box) box.classList.toggle("d-none", points.length === 0);
    if (empty) empty.classList.toggle("d-none", points.length > 0);
    if (chart) { chart.destroy(); chart = null; }
    if (points.length === 0) return;
    const times = points.map(function (p) { return Date.parse(p.t); })
      .concat((data.markers || []).map(function (m) { return Date.parse(m.t); }));
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
          sessionMarkers: { markers: data.markers || [] },
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
  window.sessionChart = { draw: draw, get chart() { return chart; } };
})();
