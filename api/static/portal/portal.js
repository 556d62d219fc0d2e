// Energy Cloud portal: live updates over server-sent events, and the phone menu.
// The server sends JSON events: {"text": {key: value}, "badge": {key: "ok|bad|..."},
// "html": {key: "<fragment>"}}; elements opt in with data-live="key",
// data-live-badge="key" or data-live-html="key". No framework, no CDN.
(function () {
  "use strict";

  function apply(update) {
    var key;
    for (key in update.text || {}) {
      document.querySelectorAll('[data-live="' + key + '"]').forEach(function (el) {
        el.textContent = update.text[key];
      });
    }
    for (key in update.badge || {}) {
      document.querySelectorAll('[data-live-badge="' + key + '"]').forEach(function (el) {
        el.className = "badge " + update.badge[key];
      });
    }
    for (key in update.html || {}) {
      document.querySelectorAll('[data-live-html="' + key + '"]').forEach(function (el) {
        el.innerHTML = update.html[key];
      });
    }
  }

  function connect(url, indicator) {
    var source = new EventSource(url);
    source.addEventListener("update", function (event) {
      apply(JSON.parse(event.data));
      if (indicator) { indicator.hidden = false; }
    });
    source.addEventListener("ended", function () {
      source.close();  // logged out: no more live data
      if (indicator) { indicator.hidden = true; }
    });
    source.onerror = function () {
      if (indicator) { indicator.hidden = true; }
    };
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-sse]").forEach(function (el) {
      connect(el.getAttribute("data-sse"), el.querySelector("[data-live-indicator]"));
    });
    var toggle = document.querySelector(".menu-toggle");
    if (toggle) {
      toggle.addEventListener("click", function () {
        document.querySelector(".sidebar").classList.toggle("menu-open");
      });
    }
    // Buttons that run a remote action say so while the charger answers.
    document.querySelectorAll("form[data-busy]").forEach(function (form) {
      form.addEventListener("submit", function () {
        form.querySelectorAll("button").forEach(function (b) {
          b.disabled = true;
          b.textContent = form.getAttribute("data-busy");
        });
      });
    });
  });
})();
