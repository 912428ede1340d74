// Keyturn dashboard: times in the browser's zone, and a revealed value hidden again after 30 s.
// Loaded as an external file: the Content-Security-Policy allows no inline script.
(function () {
  "use strict";
  function relative(ms) {
    var s = Math.round(ms / 1000), a = Math.abs(s), n;
    if (a < 45) return "now";
    if (a < 3600) n = Math.round(a / 60) + " min";
    else if (a < 86400) n = Math.round(a / 3600) + " h";
    else n = Math.round(a / 86400) + " d";
    return s > 0 ? "in " + n : n + " ago";
  }
  function times(root) {
    var list = root.querySelectorAll("time[datetime]");
    for (var i = 0; i < list.length; i++) {
      var t = list[i], d = new Date(t.getAttribute("datetime"));
      if (isNaN(d.getTime())) continue;
      t.title = d.toLocaleString() + " (" + t.getAttribute("datetime") + ")";
      t.textContent = relative(d.getTime() - Date.now());
    }
  }
  function hideReveal() {
    var area = document.querySelector("[data-testid=reveal-area]");
    if (!area) return;
    var value = area.querySelector("[data-testid=reveal-value]");
    if (!value) return;
    var left = document.querySelector("[data-testid=reveal-countdown]");
    var end = Date.now() + 30000;
    var timer = setInterval(function () {
      var rest = Math.max(0, Math.ceil((end - Date.now()) / 1000));
      if (left) left.textContent = "(hidden in " + rest + " s)";
      if (rest === 0) {
        clearInterval(timer);
        value.remove();
        area.setAttribute("data-hidden", "true");
        if (left) left.textContent = "hidden again: reveal it again to see it";
      }
    }, 250);
  }
  document.addEventListener("DOMContentLoaded", function () {
    times(document);
    hideReveal();
  });
  document.addEventListener("htmx:afterSwap", function (e) { times(e.target); });
})();
