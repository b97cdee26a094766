// Draws the chart of a clinic report from the JSON the page embeds (id "chart-data").
(function () {
  const script = document.currentScript;
  const canvas = document.getElementById("report-chart");
  const source = document.getElementById("chart-data");
  if (!canvas || !source || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const kind = script.dataset.report;
  const percent = { y: { beginAtZero: true, title: { display: true, text: "%" } } };
  const blue = "rgba(13, 110, 253, 0.7)", orange = "rgba(253, 126, 20, 0.8)", red = "rgba(176, 42, 55, 0.8)";
  let config;
  if (kind === "utilisation") {
    config = { type: "bar", data: { labels: data.labels, datasets: [{ label: data.label || "Utilisation per day (%)", data: data.values, backgroundColor: blue }] }, options: { scales: { y: { beginAtZero: true, suggestedMax: 100, title: { display: true, text: "%" } } } } };
  } else if (kind === "attendance") {
    config = { type: "line", data: { labels: data.labels, datasets: [
      { label: "Did-not-attend rate (%)", data: data.dna, borderColor: red, backgroundColor: red },
      { label: "Late cancellation rate (%)", data: data.late, borderColor: orange, backgroundColor: orange } ] }, options: { scales: percent } };
  } else if (kind === "outcomes") {
    config = { type: "bar", data: { labels: data.labels, datasets: [
      { label: "30% responders (%)", data: data.share_30, backgroundColor: blue },
      { label: "50% responders (%)", data: data.share_50, backgroundColor: orange } ] }, options: { scales: { y: { beginAtZero: true, max: 100 } } } };
  } else if (kind === "adverse-events") {
    config = { type: "bar", data: { labels: data.labels, datasets: [{ label: "Adverse events per 100 infusions", data: data.values, backgroundColor: red }] }, options: { scales: { y: { beginAtZero: true } } } };
  } else if (kind === "waiting-list") {
    config = { type: "bar", data: { labels: data.labels, datasets: [{ label: "Open NHS pathways", data: data.values, backgroundColor: data.labels.map((_, i) => i === data.labels.length - 1 ? red : blue) }] }, options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } } };
  }
  if (config) {
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options);
    new Chart(canvas, config);
  }
})();
