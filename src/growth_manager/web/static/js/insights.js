// Insights on other pages: the composer's "suggested times" fill the date and time field.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-suggested-time]");
    if (!button) return;
    var field = document.getElementById("compose-when");
    if (!field) return;
    field.value = button.getAttribute("data-suggested-time");
    field.dispatchEvent(new Event("input", { bubbles: true }));
    field.dispatchEvent(new Event("change", { bubbles: true }));
    field.focus();
  });
})();

// The Insights page: each account's net follower change per week as bars (the table beside
// it has the same numbers). Data comes from the <script type="application/json"> after each canvas.
(function () {
  "use strict";
  function draw() {
    if (!window.Chart) return;
    document.querySelectorAll("canvas.growth-chart").forEach(function (canvas) {
      var holder = canvas.parentElement.nextElementSibling;
      if (!holder || !holder.classList.contains("growth-data")) return;
      var data = JSON.parse(holder.textContent);
      new window.Chart(canvas, {
        type: "bar",
        data: {
          labels: data.labels,
          datasets: [{
            label: "Net followers",
            data: data.net,
            backgroundColor: data.net.map(function (v) { return v !== null && v < 0 ? "#d97706" : "#2f8f57"; }),
          }],
        },
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          plugins: { legend: { display: false } },
          scales: { y: { beginAtZero: true } },
        },
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
