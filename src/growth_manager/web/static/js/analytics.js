/* The Analytics page: draws its three charts with the vendored Chart.js from the JSON block
 * #analytics-data (no inline script: CSP), and clears the custom dates when a range chip is
 * picked. Colours follow the platform cards' dots (the order platforms are listed in). */
(function () {
  "use strict";

  var PALETTE = ["#4f46e5", "#0ea5e9", "#f59e0b", "#ec4899", "#10b981", "#8b5cf6", "#ef4444"];

  function readData() {
    var node = document.getElementById("analytics-data");
    if (!node) return null;
    try {
      return JSON.parse(node.textContent || "{}");
    } catch (error) {
      return null;
    }
  }

  function colourFor(order, platform, shade) {
    var index = order.indexOf(platform);
    var base = PALETTE[(index < 0 ? order.length : index) % PALETTE.length];
    return shade ? base + shade : base;
  }

  function compact(value) {
    if (value === null || value === undefined) return "—";
    return new Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 1 })
      .format(value);
  }

  function dayLabel(iso) {
    var parts = iso.split("-");
    var date = new Date(Date.UTC(+parts[0], +parts[1] - 1, +parts[2]));
    return date.toLocaleDateString(undefined, { day: "numeric", month: "short", timeZone: "UTC" });
  }

  function showEmpty(name, empty) {
    var note = document.querySelector('[data-empty-for="' + name + '"]');
    var canvas = document.getElementById("chart-" + name);
    if (note) note.hidden = !empty;
    if (canvas) canvas.parentElement.hidden = empty;
  }

  function baseOptions() {
    return {
      responsive: true,
      maintainAspectRatio: false,
      animation: { duration: 300 },
      interaction: { mode: "index", intersect: false },
      plugins: {
        legend: { position: "bottom", labels: { boxWidth: 10, boxHeight: 10, usePointStyle: true } },
        tooltip: { callbacks: {} },
      },
      scales: {
        x: { grid: { display: false }, ticks: { maxRotation: 0, autoSkipPadding: 16 } },
        y: { beginAtZero: false, grid: { color: "#eef2f7" }, ticks: { callback: compact } },
      },
    };
  }

  function drawFollowers(data, order) {
    var sets = data.followers || [];
    showEmpty("followers", sets.length === 0);
    if (!sets.length) return;
    var options = baseOptions();
    options.plugins.tooltip.callbacks.afterLabel = function (item) {
      var source = sets[item.datasetIndex].sources[item.dataIndex];
      return source ? "from " + source : "";
    };
    new window.Chart(document.getElementById("chart-followers"), {
      type: "line",
      data: {
        labels: data.labels.map(dayLabel),
        datasets: sets.map(function (set) {
          var colour = colourFor(order, set.platform);
          return {
            label: set.label,
            data: set.data,
            borderColor: colour,
            backgroundColor: colourFor(order, set.platform, "22"),
            fill: sets.length === 1,
            tension: 0.3,
            spanGaps: true,
            pointRadius: 0,
            pointHoverRadius: 4,
            borderWidth: 2,
          };
        }),
      },
      options: options,
    });
  }

  function drawEngagement(data, order) {
    var sets = data.engagement || [];
    showEmpty("engagement", sets.length === 0);
    if (!sets.length) return;
    var options = baseOptions();
    options.scales.x.stacked = true;
    options.scales.y.stacked = true;
    options.scales.y.beginAtZero = true;
    options.plugins.tooltip.callbacks.afterLabel = function (item) {
      var rate = sets[item.datasetIndex].rates[item.dataIndex];
      return rate === null || rate === undefined ? "" : "engagement rate " + (rate * 100).toFixed(2) + "%";
    };
    new window.Chart(document.getElementById("chart-engagement"), {
      type: "bar",
      data: {
        labels: data.labels.map(dayLabel),
        datasets: sets.map(function (set) {
          return {
            label: set.label,
            data: set.data,
            backgroundColor: colourFor(order, set.platform),
            borderRadius: 3,
            maxBarThickness: 18,
          };
        }),
      },
      options: options,
    });
  }

  function drawComparison(data, order) {
    var c = data.comparison || { labels: [] };
    var empty = !c.labels.length || c.impressions.every(function (v) { return !v; }) &&
      c.engagement_rate.every(function (v) { return v === null; });
    showEmpty("comparison", empty);
    if (empty) return;
    var options = baseOptions();
    options.interaction = { mode: "index", intersect: false };
    options.scales = {
      x: { grid: { display: false } },
      y: { beginAtZero: true, position: "left", grid: { color: "#eef2f7" }, ticks: { callback: compact },
           title: { display: true, text: "Impressions" } },
      rate: { beginAtZero: true, position: "right", grid: { display: false },
              ticks: { callback: function (v) { return v + "%"; } },
              title: { display: true, text: "Engagement rate" } },
    };
    options.plugins.tooltip.callbacks.label = function (item) {
      if (item.dataset.yAxisID === "rate") {
        return item.raw === null ? "Engagement rate: not available" : "Engagement rate: " + item.raw.toFixed(2) + "%";
      }
      return item.dataset.label + ": " + compact(item.raw);
    };
    new window.Chart(document.getElementById("chart-comparison"), {
      type: "bar",
      data: {
        labels: c.labels,
        datasets: [
          {
            label: "Impressions",
            data: c.impressions,
            backgroundColor: c.platforms.map(function (p) { return colourFor(order, p, "cc"); }),
            borderRadius: 4,
            maxBarThickness: 48,
            yAxisID: "y",
          },
          {
            type: "line",
            label: "Engagement rate",
            data: c.engagement_rate,
            borderColor: "#0f172a",
            backgroundColor: "#0f172a",
            pointRadius: 5,
            showLine: false,
            yAxisID: "rate",
          },
        ],
      },
      options: options,
    });
  }

  function wireFilters() {
    var form = document.querySelector(".an-filters");
    if (!form) return;
    form.querySelectorAll('input[name="days"]').forEach(function (radio) {
      radio.addEventListener("change", function () {
        form.querySelectorAll('input[type="date"]').forEach(function (input) { input.value = ""; });
      });
    });
    form.querySelectorAll('input[type="date"]').forEach(function (input) {
      input.addEventListener("change", function () {
        form.querySelectorAll('input[name="days"]').forEach(function (radio) { radio.checked = false; });
      });
    });
    form.querySelectorAll(".chip input").forEach(function (input) {
      input.addEventListener("change", function () {
        form.querySelectorAll(".chip").forEach(function (chip) {
          var box = chip.querySelector("input");
          chip.classList.toggle("is-on", !!(box && box.checked));
        });
      });
    });
  }

  function start() {
    wireFilters();
    var data = readData();
    if (!data || !window.Chart) return;
    var order = (data.comparison && data.comparison.platforms) || [];
    window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    window.Chart.defaults.color = "#64748b";
    drawFollowers(data, order);
    drawEngagement(data, order);
    drawComparison(data, order);
    document.body.setAttribute("data-charts", "ready");
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
