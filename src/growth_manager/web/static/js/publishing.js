/* Publishing pages: the composer (an Alpine component) and the calendar (FullCalendar).
 *
 * Counting is never done here: the composer posts each platform's text, and each thread part,
 * to /api/v1/text/measure (the rules the server validates with) and shows what comes back;
 * "Split automatically" asks /api/v1/threads/split. What a platform can do (threads, first
 * comments) comes from the accounts' descriptors, written into the page by the server.
 * The calendar reads /api/v1/schedule/{business} for the range on screen, in the business's
 * time zone, and a drag is a PUT /api/v1/schedule/{post}; a refusal puts the event back.
 */
(function () {
  "use strict";

  var DEBOUNCE_MS = 180;

  function readJson(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent || "null") : null;
  }

  function answer(response) {
    return response.json().then(
      function (data) { return { ok: response.ok, status: response.status, data: data }; },
      function () { return { ok: response.ok, status: response.status, data: {} }; }
    );
  }

  // --- composer ---------------------------------------------------------------------------------
  function composer() {
    var state = readJson("compose-state") || {};
    var accounts = readJson("compose-accounts") || [];
    var library = readJson("compose-library") || [];
    var urls = readJson("compose-urls") || {};
    var byId = {};
    accounts.forEach(function (a) { byId[String(a.id)] = a; });
    var keySeed = 0;
    function part(text) { keySeed += 1; return { key: keySeed, text: text || "" }; }

    return {
      chosen: (state.account_ids || []).map(String),
      text: state.text || "",
      variants: state.variants || {},
      useThread: !!state.use_thread,
      thread: (state.thread && state.thread.length ? state.thread : [""]).map(part),
      numberParts: false,
      media: state.media || [],
      checks: {},
      partChecks: [],
      splitMessage: "",
      _timer: null,
      _sequence: 0,

      init: function () {
        var self = this;
        this.$watch("chosen", function () { self.scheduleMeasure(); });
        this.measure();
      },

      chosenAccounts: function () {
        return this.chosen.map(function (id) { return byId[id]; }).filter(Boolean);
      },
      platformsOf: function (filter) {
        var seen = {};
        var names = [];
        this.chosenAccounts().forEach(function (a) {
          if (filter(a) && !seen[a.platform]) { seen[a.platform] = true; names.push(a.platform_name); }
        });
        return names;
      },
      anyThreads: function () { return this.platformsOf(function (a) { return a.threads; }).length > 0; },
      threadPlatformNames: function () { return this.platformsOf(function (a) { return a.threads; }).join(", "); },
      anyComments: function () { return this.platformsOf(function (a) { return a.first_comment; }).length > 0; },
      commentPlatformNames: function () { return this.platformsOf(function (a) { return a.first_comment; }).join(", "); },
      commentless: function () { return this.platformsOf(function (a) { return !a.first_comment; }).length > 0; },
      commentlessNames: function () { return this.platformsOf(function (a) { return !a.first_comment; }).join(", "); },
      threadPlatform: function () {
        var found = this.chosenAccounts().filter(function (a) { return a.threads; })[0];
        return found ? found.platform : null;
      },
      usesThread: function (account) { return this.useThread && account.threads && !this.variants[account.platform]; },

      textFor: function (account) {
        var own = this.variants[account.platform];
        if (own !== undefined && own !== null) return own;
        if (!this.text && this.useThread) return this.parts().join("\n\n");
        return this.text;
      },
      parts: function () {
        return this.thread.map(function (p) { return p.text.trim(); }).filter(function (t) { return t; });
      },
      previewParts: function (account) {
        if (this.usesThread(account)) {
          var parts = this.parts();
          return parts.length ? parts : [""];
        }
        return [this.textFor(account)];
      },

      scheduleMeasure: function () {
        var self = this;
        clearTimeout(this._timer);
        this._timer = setTimeout(function () { self.measure(); }, DEBOUNCE_MS);
      },
      post: function (url, body) {
        return window.GM.fetch(url, {
          method: "POST",
          headers: { "Content-Type": "application/json", Accept: "application/json" },
          body: JSON.stringify(body),
        }).then(answer);
      },
      measure: function () {
        var self = this;
        var sequence = ++this._sequence;
        var platforms = {};
        var variants = {};
        this.chosenAccounts().forEach(function (a) {
          platforms[a.platform] = true;
          var own = self.variants[a.platform];
          if (own !== undefined && own !== null) variants[a.platform] = own;
        });
        var keys = Object.keys(platforms);
        if (!keys.length) return Promise.resolve();
        var base = this.text || (this.useThread ? this.parts().join("\n\n") : "");
        var whole = this.post(urls.measure, { text: base, variants: variants, platforms: keys });
        var threadPlatform = this.useThread ? this.threadPlatform() : null;
        var perPart = threadPlatform
          ? Promise.all(this.thread.map(function (p) {
              return self.post(urls.measure, { text: p.text, platforms: [threadPlatform] });
            }))
          : Promise.resolve([]);
        return Promise.all([whole, perPart])
          .then(function (results) {
            if (sequence !== self._sequence) return;
            var checks = {};
            if (results[0].ok) results[0].data.results.forEach(function (r) { checks[r.platform] = r; });
            self.checks = checks;
            self.partChecks = results[1].map(function (r) { return r.ok ? r.data.results[0] : null; });
          })
          .catch(function () { /* offline: keep the last counts; submitting still validates */ });
      },

      check: function (account) { return this.checks[account.platform] || null; },
      counter: function (account) {
        if (this.usesThread(account)) {
          var n = this.parts().length;
          return n + (n === 1 ? " part" : " parts");
        }
        var c = this.check(account);
        return c ? c.count + " / " + c.limit : "… / " + account.limit;
      },
      counterClass: function (account) {
        if (this.usesThread(account)) {
          return { "counter-over": this.partChecks.some(function (c) { return c && !c.ok; }) };
        }
        var c = this.check(account);
        return { "counter-over": !!(c && !c.ok) };
      },
      problems: function (account) {
        if (this.usesThread(account)) {
          var list = [];
          this.partChecks.forEach(function (c, i) {
            if (c && !c.ok) c.problems.forEach(function (p) { list.push("Part " + (i + 1) + ": " + p); });
          });
          return list;
        }
        var c = this.check(account);
        var problems = c ? c.problems.slice() : [];
        var images = this.media.filter(function (m) { return m.kind === "image"; }).length;
        var videos = this.media.length - images;
        if (images > account.max_images) problems.push(account.platform_name + ": " + images + "/" + account.max_images + " images.");
        if (videos > account.max_videos) problems.push(account.platform_name + ": " + videos + "/" + account.max_videos + " videos.");
        if (account.requires_media && !this.media.length) problems.push(account.platform_name + " needs an image or a video.");
        return problems;
      },

      partLabel: function (index) { return "Part " + (index + 1) + " of " + this.thread.length; },
      partCounter: function (index) {
        var c = this.partChecks[index];
        return c ? c.count + " / " + c.limit : "";
      },
      partClass: function (index) {
        var c = this.partChecks[index];
        return { "counter-over": !!(c && !c.ok) };
      },
      isFirst: function (index) { return index === 0; },
      isLast: function (index, list) { return index === list.length - 1; },
      threadToggled: function () {
        if (this.useThread && this.parts().length === 0 && this.text) this.thread = [part(this.text)];
        this.scheduleMeasure();
      },
      addPart: function () { this.thread.push(part("")); this.scheduleMeasure(); },
      removePart: function (index) {
        if (this.thread.length > 1) this.thread.splice(index, 1);
        this.scheduleMeasure();
      },
      movePart: function (index, step) {
        var to = index + step;
        if (to < 0 || to >= this.thread.length) return;
        var moved = this.thread.splice(index, 1)[0];
        this.thread.splice(to, 0, moved);
        this.scheduleMeasure();
      },
      split: function () {
        var self = this;
        var platform = this.threadPlatform();
        var source = this.text || this.parts().join("\n\n");
        if (!platform || !source.trim()) {
          this.splitMessage = "Write the text above first; it is split into parts that fit.";
          return;
        }
        this.post(urls.split, { text: source, platform: platform, number_parts: this.numberParts })
          .then(function (result) {
            if (!result.ok) { self.splitMessage = result.data.detail || "Could not split the text."; return; }
            self.thread = result.data.parts.map(part);
            if (!self.thread.length) self.thread = [part("")];
            self.splitMessage = "Split into " + result.data.parts.length + " parts of at most " + result.data.limit + ".";
            self.scheduleMeasure();
          })
          .catch(function () { self.splitMessage = "Could not reach the server."; });
      },

      isAttached: function (id) { return this.media.some(function (m) { return m.id === id; }); },
      attach: function (id) {
        if (this.isAttached(id)) return;
        var item = library.filter(function (m) { return m.id === id; })[0];
        if (item) this.media.push(item);
      },
      detach: function (index) { this.media.splice(index, 1); },
      moveMedia: function (index, step) {
        var to = index + step;
        if (to < 0 || to >= this.media.length) return;
        var moved = this.media.splice(index, 1)[0];
        this.media.splice(to, 0, moved);
      },
      previewCountClass: function () { return "count-" + Math.min(this.media.length, 4); },
    };
  }

  // --- queue settings: rows of weekday + time ---------------------------------------------------
  function queueEditor() {
    var rows = readJson("queue-slots") || [];
    var seed = 0;
    function row(slot) { seed += 1; return { key: seed, weekday: String(slot.weekday), time: slot.time }; }
    return {
      rows: rows.map(row),
      add: function () { this.rows.push(row({ weekday: 0, time: "09:00" })); },
      remove: function (index) { this.rows.splice(index, 1); },
      empty: function () { return this.rows.length === 0; },
    };
  }

  document.addEventListener("alpine:init", function () {
    window.Alpine.data("composer", composer);
    window.Alpine.data("queueEditor", queueEditor);
  });

  // --- calendar ---------------------------------------------------------------------------------
  var COLOURS = {
    scheduled: "#4f46e5",
    retrying: "#d97706",
    paused: "#b45309",
    publishing: "#0891b2",
    published: "#15803d",
    failed: "#dc2626",
    cancelled: "#94a3b8",
  };

  function startCalendar(node) {
    var config = JSON.parse(node.getAttribute("data-config") || "{}");
    var message = document.getElementById("calendar-message");
    function say(text, kind) {
      if (!message) return;
      message.textContent = text || "";
      message.className = text ? "alert alert-" + (kind || "error") : "";
      message.hidden = !text;
    }
    // A phone gets the list first, and a toolbar that fits.
    var narrow = window.matchMedia("(max-width: 640px)").matches;
    var calendar = new window.FullCalendar.Calendar(node, {
      timeZone: config.timezone,
      initialView: narrow ? "listWeek" : "dayGridMonth",
      headerToolbar: narrow
        ? { start: "prev,next", center: "title", end: "dayGridMonth,listWeek" }
        : { start: "prev,next today", center: "title", end: "dayGridMonth,timeGridWeek,timeGridDay,listWeek" },
      firstDay: 1,
      height: "auto",
      nowIndicator: true,
      editable: !!config.editable,
      eventStartEditable: !!config.editable,
      eventDurationEditable: false,
      defaultTimedEventDuration: "01:00",
      slotHeaderFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
      eventDisplay: "block",
      eventTimeFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
      events: function (info, success, failure) {
        var url = config.feed + "?limit=1000&start=" + encodeURIComponent(info.startStr) +
          "&end=" + encodeURIComponent(info.endStr);
        window.GM.fetch(url, { headers: { Accept: "application/json" } })
          .then(answer)
          .then(function (result) {
            if (!result.ok) { failure(new Error(result.data.detail || "The schedule could not be loaded.")); return; }
            success(result.data.items.map(function (t) {
              var platform = config.platforms[t.platform] || t.platform;
              var colour = COLOURS[t.status] || COLOURS.scheduled;
              return {
                id: String(t.id),
                title: platform + " · " + (t.account_name || "removed account"),
                start: t.scheduled_for,
                allDay: false,
                url: config.post.replace("{post_id}", t.post_id),
                color: colour,
                contrastColor: "#ffffff",
                className: "gm-event gm-status-" + t.status + " gm-platform-" + t.platform,
                startEditable: !!config.editable && config.movable.indexOf(t.status) !== -1,
                extendedProps: { postId: t.post_id, accountId: t.account_id, status: t.status, platform: t.platform },
              };
            }));
          })
          .catch(function (error) { failure(error); });
      },
      // data-loading says when the events on screen are the server's latest (tests wait on it).
      loading: function (isLoading) { node.setAttribute("data-loading", isLoading ? "true" : "false"); },
      eventDidMount: function (info) {
        var props = info.event.extendedProps;
        info.el.setAttribute("data-target", info.event.id);
        info.el.setAttribute("data-status", props.status);
        info.el.setAttribute("title", info.event.title + " — " + (config.statuses[props.status] || props.status));
      },
      eventDrop: function (info) {
        var props = info.event.extendedProps;
        say("");
        // Until the move is saved and the events fetched again, what is on screen is not the
        // server's: a second drag now would be cut short by the refetch's re-render.
        node.setAttribute("data-loading", "true");
        function settled() { node.setAttribute("data-loading", "false"); }
        var body = { scheduled_for: info.event.startStr };
        if (props.accountId !== null && props.accountId !== undefined) body.account_ids = [props.accountId];
        window.GM.fetch(config.update.replace("{post_id}", props.postId), {
          method: "PUT",
          headers: { "Content-Type": "application/json", Accept: "application/json" },
          body: JSON.stringify(body),
        })
          .then(answer)
          .then(function (result) {
            if (!result.ok) {
              info.revert();
              settled();
              say(result.data.detail || "The post could not be moved (" + result.status + ").");
              return;
            }
            var notes = result.data.notes || [];
            say(notes.length ? notes.join(" ") : "Moved.", notes.length ? "info" : "success");
            calendar.refetchEvents();
          })
          .catch(function () {
            info.revert();
            settled();
            say("The server could not be reached; the post was not moved.");
          });
      },
    });
    calendar.render();
    node.gmCalendar = calendar;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var node = document.getElementById("calendar");
    if (node && window.FullCalendar) startCalendar(node);
  });
})();
