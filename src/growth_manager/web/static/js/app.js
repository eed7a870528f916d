/* Growth Manager dashboard: small, dependency-free glue. Loaded with `defer` on every page.
 *
 * - CSRF: every state-changing htmx request carries X-CSRF-Token from <meta name="csrf-token">
 *   (htmx 4 does not inherit hx-headers from <body> unless written hx-headers:inherited, so the
 *   header is also added here). `GM.csrfToken()` and `GM.fetch()` do the same for hand-written
 *   fetch calls.
 * - Confirmations: a form, button or link with `data-confirm="Question?"` asks before it acts.
 * - Autofocus of the first invalid field after a server-side validation error.
 * - data-autosubmit: a select (or any control) that submits its form when it changes.
 */
(function () {
  "use strict";

  var SAFE = { GET: true, HEAD: true, OPTIONS: true };

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") || "" : "";
  }

  function gmFetch(url, options) {
    var opts = Object.assign({ credentials: "same-origin" }, options || {});
    var method = (opts.method || "GET").toUpperCase();
    var headers = new Headers(opts.headers || {});
    if (!SAFE[method] && !headers.has("X-CSRF-Token")) {
      headers.set("X-CSRF-Token", csrfToken());
    }
    opts.headers = headers;
    return fetch(url, opts);
  }

  window.GM = Object.assign(window.GM || {}, { csrfToken: csrfToken, fetch: gmFetch });

  document.addEventListener("htmx:config:request", function (event) {
    var ctx = event.detail && event.detail.ctx;
    if (!ctx || !ctx.request) return;
    var method = String(ctx.request.method || "GET").toUpperCase();
    if (!SAFE[method]) {
      ctx.request.headers = ctx.request.headers || {};
      if (!ctx.request.headers["X-CSRF-Token"]) {
        ctx.request.headers["X-CSRF-Token"] = csrfToken();
      }
    }
  });

  // data-confirm on forms (submit) and on buttons/links (click).
  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      if (!(form instanceof HTMLFormElement)) return;
      var submitter = event.submitter;
      var message =
        (submitter && submitter.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
      if (message && !window.confirm(message)) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    },
    true
  );

  document.addEventListener(
    "click",
    function (event) {
      var target = event.target instanceof Element ? event.target.closest("a[data-confirm]") : null;
      if (target && !window.confirm(target.getAttribute("data-confirm"))) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    },
    true
  );

  // A control with data-autosubmit submits its form when it changes (the page's CSP allows no
  // inline onchange handlers).
  document.addEventListener("change", function (event) {
    var control = event.target instanceof Element ? event.target.closest("[data-autosubmit]") : null;
    if (control && control.form) control.form.requestSubmit();
  });

  function focusFirstError(root) {
    var invalid = null;
    try {
      invalid = (root || document).querySelector(
        '[aria-invalid="true"], .form-field:has(.field-error) input, .form-field:has(.field-error) textarea, .form-field:has(.field-error) select'
      );
    } catch (e) {
      invalid = (root || document).querySelector('[aria-invalid="true"]');
    }
    if (invalid && typeof invalid.focus === "function" && !document.querySelector("[autofocus]")) {
      invalid.focus({ preventScroll: false });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusFirstError(document);
  });
})();

// Facebook Login appends "#_=_" to its redirect, and browsers carry the fragment through our
// own redirect back to Connections; drop it so the address bar stays clean.
if (window.location.hash === "#_=_") {
  history.replaceState(null, "", window.location.pathname + window.location.search);
}
