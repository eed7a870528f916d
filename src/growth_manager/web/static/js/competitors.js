/* The Competitors page: draws followers over time (yours and your competitors') with the
 * vendored Chart.js from the JSON block #competitors-data (no inline script: CSP). Each line is
 * one account; days without a read are gaps the line spans. */
(function () {
  "use strict";

  var PALETTE = ["#4f46e5", "#0ea5e9", "#f59e0b", "#ec4899", "#10b981", "#8b5cf6", "#ef4444"];

  function readData() {
    var node = document.getElementById("competitors-data");
    if (!node) return null;
    try {
      return JSON.parse(node.textContent || "{}");
    } catch (error) {
      return null;
    }
  }

  function draw() {
    var data = readData();
    var canvas = document.getElementById("chart-followers");
    var note = document.querySelector('[data-empty-for="followers"]');
    if (!data || !canvas || typeof window.Chart === "undefined") return;
    var series = (data.series || []).filter(function (s) { return s.points.length; });
    var days = {};
    series.forEach(function (s) {
      s.points.forEach(function (p) { days[p[0].slice(0, 10)] = true; });
    });
    var labels = Object.keys(days).sort();
    if (!labels.length) {
      if (note) note.hidden = false;
      canvas.parentElement.hidden = true;
      return;
    }
    var datasets = series.map(function (s, index) {
      var byDay = {};
      s.points.forEach(function (p) { byDay[p[0].slice(0, 10)] = p[1]; });
      var colour = PALETTE[index % PALETTE.length];
      return {
        label: s.label + (s.kind === "own" ? " (you)" : "") + " · " + s.platform,
        data: labels.map(function (day) { return day in byDay ? byDay[day] : null; }),
        borderColor: colour,
        backgroundColor: colour,
        borderDash: s.kind === "own" ? [] : [6, 3],
        spanGaps: true,
        pointRadius: 2,
        tension: 0.2,
      };
    });
    new window.Chart(canvas, {
      type: "line",
      data: { labels: labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        plugins: { legend: { position: "bottom" } },
        scales: { y: { beginAtZero: false } },
      },
    });
  }

  document.addEventListener("DOMContentLoaded", draw);
})();
