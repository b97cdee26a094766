// The pain diary chart on a patient's diary page: data from the json_script #diary-chart-data.
(function () {
  const data = JSON.parse(document.getElementById("diary-chart-data").textContent);
  const fmt = (ms) => new Date(ms).toLocaleDateString("en-GB", {day: "numeric", month: "short", timeZone: "Europe/London"});
  const sessionLines = {
    id: "sessionLines",
    afterDatasetsDraw(chart) {
      const {ctx, chartArea, scales} = chart;
      ctx.save();
      ctx.strokeStyle = "rgba(13,110,253,.55)"; ctx.fillStyle = "#0d6efd";
      ctx.setLineDash([5, 4]); ctx.font = "11px system-ui, sans-serif"; ctx.textAlign = "center";
      data.sessions.forEach((s) => {
        const x = scales.x.getPixelForValue(s.x);
        if (x < chartArea.left || x > chartArea.right) return;
        ctx.beginPath(); ctx.moveTo(x, chartArea.top + 12); ctx.lineTo(x, chartArea.bottom); ctx.stroke();
        ctx.fillText("Infusion", x, chartArea.top + 8);
      });
      ctx.restore();
    },
  };
  const xs = data.now.map((p) => p.x).concat(data.sessions.map((s) => s.x));
  const day = 86400000;
  new Chart(document.getElementById("diary-chart"), {
    type: "line",
    data: {datasets: [
      {label: "Worst", data: data.worst, borderColor: "#dc3545", backgroundColor: "#dc3545", tension: .2},
      {label: "Average", data: data.average, borderColor: "#fd7e14", backgroundColor: "#fd7e14", tension: .2},
      {label: "Now", data: data.now, borderColor: "#6c757d", backgroundColor: "#6c757d", borderDash: [3, 3], tension: .2},
      {label: "Not reviewed", data: data.unreviewed, type: "scatter", pointRadius: 7, pointStyle: "circle",
       borderColor: "#0d6efd", backgroundColor: "rgba(13,110,253,.15)", borderWidth: 2},
    ]},
    options: {
      maintainAspectRatio: false, parsing: true, animation: false,
      scales: {
        x: {type: "linear", min: Math.min(...xs) - day, max: Math.max(...xs) + day, ticks: {callback: fmt, maxTicksLimit: 10}},
        y: {min: 0, max: 10, ticks: {stepSize: 1}, title: {display: true, text: "Pain (0-10)"}},
      },
      plugins: {tooltip: {callbacks: {title: (items) => new Date(items[0].parsed.x).toLocaleString("en-GB", {timeZone: "Europe/London", dateStyle: "medium", timeStyle: "short"})}}},
    },
    plugins: [sessionLines],
  });
})();
