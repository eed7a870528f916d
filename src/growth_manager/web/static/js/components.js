/* Alpine components of the dashboard's shared pages, registered by name.
 *
 * The page's Content-Security-Policy allows no eval and no inline script, so Alpine is its CSP
 * build, which runs no code written in attributes: each x-data names a component registered
 * here (or in a page's own script, like draftEditor in editor.js), and x-on, x-show, :class…
 * hold only property reads and method calls on it. Loaded with `defer` before Alpine.
 */
document.addEventListener("alpine:init", function () {
  "use strict";
  var Alpine = window.Alpine;

  // The app shell: the sidebar that slides in on narrow screens.
  Alpine.data("shell", function () {
    return {
      navOpen: false,
      toggleNav: function () { this.navOpen = !this.navOpen; },
      closeNav: function () { this.navOpen = false; },
      navExpanded: function () { return this.navOpen ? "true" : "false"; },
      sidebarClass: function () { return { "is-open": this.navOpen }; },
    };
  });

  // The business switcher: a <details> that closes on a click elsewhere.
  Alpine.data("switcher", function () {
    return {
      open: false,
      toggle: function () { this.open = !this.open; },
      close: function () { this.open = false; },
    };
  });

  // A flash message that can be dismissed.
  Alpine.data("flash", function () {
    return {
      shown: true,
      dismiss: function () { this.shown = false; },
    };
  });

  // The strategy form: a platform's cadence fields show only while the platform is ticked.
  // The ticked platforms come from data-platforms (JSON), written by the server.
  Alpine.data("strategyForm", function () {
    return {
      platforms: [],
      init: function () {
        this.platforms = JSON.parse(this.$el.getAttribute("data-platforms") || "[]");
      },
      has: function (key) { return this.platforms.indexOf(key) !== -1; },
      lacks: function (key) { return this.platforms.indexOf(key) === -1; },
    };
  });

  // A time-zone field left empty is filled with the browser's own zone.
  Alpine.data("browserTimezone", function () {
    return {
      init: function () {
        if (!this.$el.value) {
          this.$el.value = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
        }
      },
    };
  });
});
