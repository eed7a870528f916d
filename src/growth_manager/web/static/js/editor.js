/* Draft editor: local state in Alpine, counts from the server.
 *
 * Counting is never re-implemented here: every change (debounced) posts the texts to
 * /api/v1/text/measure, the same rules the API validates with, and the counters show what comes
 * back. Responses that arrive out of order are ignored, so a slow answer never overwrites a
 * newer one. Uploads go to the media API; the form then submits the attached ids.
 */
(function () {
  "use strict";

  var DEBOUNCE_MS = 180;

  function readJson(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent || "null") : null;
  }

  function escapeHtml(text) {
    return text
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;")
      .replace(/'/g, "&#39;");
  }

  // Links and hashtags highlighted the way the platforms show them; everything else escaped.
  var TOKEN = /(https?:\/\/[^\s<]+[^\s<.,;:!?)\]'"])|(^|[^\w&#])(#[\p{L}\p{N}_]+)/gu;

  function richText(text) {
    var html = "";
    var last = 0;
    text.replace(TOKEN, function (match, url, lead, tag, offset) {
      html += escapeHtml(text.slice(last, offset));
      if (url) {
        var safe = escapeHtml(url);
        html += '<a href="' + safe + '" target="_blank" rel="noopener noreferrer">' + safe + "</a>";
      } else {
        html += escapeHtml(lead) + '<span class="hashtag">' + escapeHtml(tag) + "</span>";
      }
      last = offset + match.length;
      return match;
    });
    html += escapeHtml(text.slice(last));
    return html.replace(/\n/g, "<br>");
  }

  function draftEditor() {
    var state = readJson("draft-state") || {};
    var platforms = readJson("draft-platforms") || [];
    var urls = readJson("draft-urls") || {};
    var byPlatform = {};
    platforms.forEach(function (info) { byPlatform[info.platform] = info; });

    return {
      title: state.title || "",
      base: state.base || "",
      platforms: state.platforms || [],
      variants: state.variants || {},
      checks: state.checks || {},
      media: state.media || [],
      uploading: false,
      uploadError: "",
      _timer: null,
      _sequence: 0,

      init: function () {},

      effectiveText: function (platform) {
        var variant = this.variants[platform];
        return variant && variant.custom ? variant.text : this.base;
      },

      scheduleMeasure: function () {
        var self = this;
        clearTimeout(this._timer);
        this._timer = setTimeout(function () { self.measure(); }, DEBOUNCE_MS);
      },

      measure: function () {
        var self = this;
        var sequence = ++this._sequence;
        var variants = {};
        Object.keys(this.variants).forEach(function (platform) {
          if (self.variants[platform].custom) variants[platform] = self.variants[platform].text;
        });
        return window.GM.fetch(urls.measure, {
          method: "POST",
          headers: { "Content-Type": "application/json", Accept: "application/json" },
          body: JSON.stringify({ text: this.base, variants: variants }),
        })
          .then(function (response) { return response.ok ? response.json() : null; })
          .then(function (data) {
            if (!data || sequence !== self._sequence) return;
            var checks = {};
            data.results.forEach(function (result) { checks[result.platform] = result; });
            self.checks = checks;
          })
          .catch(function () { /* offline: keep the last counts; saving still validates */ });
      },

      toggleCustom: function (platform) {
        var variant = this.variants[platform];
        if (variant.custom && !variant.text) variant.text = this.base;
        this.scheduleMeasure();
      },

      copyBase: function (platform) {
        this.variants[platform].text = this.base;
        this.scheduleMeasure();
      },

      overAny: function () {
        var self = this;
        return this.platforms.some(function (p) { return self.checks[p] && !self.checks[p].ok; });
      },

      previewHtml: function (platform) {
        var text = this.effectiveText(platform);
        return text ? richText(text) : '<span class="muted">Nothing to show yet.</span>';
      },

      previewCountClass: function () {
        return "count-" + Math.min(this.media.length, 4);
      },

      mediaProblems: function (platform) {
        var info = byPlatform[platform];
        if (!info) return [];
        var images = this.media.filter(function (m) { return m.kind === "image"; }).length;
        var videos = this.media.length - images;
        var problems = [];
        if (!info.can_mix && images && videos) problems.push(info.name + " takes images or one video, not both.");
        if (images > info.max_images) problems.push(info.name + ": " + images + "/" + info.max_images + " images.");
        if (videos > info.max_videos) problems.push(info.name + ": " + videos + "/" + info.max_videos + " videos.");
        if (info.requires_media && !this.media.length) problems.push(info.name + " needs at least one image or video to publish.");
        return problems;
      },

      removeMedia: function (index) {
        this.media.splice(index, 1);
      },

      upload: function (event) {
        var self = this;
        var files = Array.prototype.slice.call(event.target.files || []);
        if (!files.length) return;
        this.uploading = true;
        this.uploadError = "";
        var chain = Promise.resolve();
        files.forEach(function (file) {
          chain = chain.then(function () {
            var body = new FormData();
            body.append("file", file, file.name);
            return window.GM.fetch(urls.upload, { method: "POST", body: body, headers: { Accept: "application/json" } })
              .then(function (response) {
                return response.json().then(function (data) { return { ok: response.ok, data: data }; },
                  function () { return { ok: false, data: { detail: "Upload failed (" + response.status + ")." } }; });
              })
              .then(function (result) {
                if (!result.ok) {
                  self.uploadError = result.data.detail || "Upload failed.";
                  return;
                }
                if (!self.media.some(function (m) { return m.id === result.data.id; })) self.media.push(result.data);
              });
          });
        });
        chain
          .catch(function () { self.uploadError = "Upload failed: the server could not be reached."; })
          .then(function () {
            self.uploading = false;
            event.target.value = "";
          });
      },
    };
  }

  // Alpine's CSP build evaluates no code from attributes: the component is registered here and
  // named by x-data="draftEditor", and x-html (which it refuses) is replaced by x-rich-html,
  // whose value is HTML that richText() built from escaped text.
  document.addEventListener("alpine:init", function () {
    window.Alpine.data("draftEditor", draftEditor);
    window.Alpine.directive("rich-html", function (el, directive, utilities) {
      var evaluate = utilities.evaluateLater(directive.expression);
      utilities.effect(function () {
        evaluate(function (html) { el.innerHTML = html; });
      });
    });
  });
})();
