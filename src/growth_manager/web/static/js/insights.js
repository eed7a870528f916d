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
