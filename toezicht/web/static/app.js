// Toezicht web interface: small progressive enhancements. Every page works without it.
(function () {
  "use strict";
  // Timeline: show the hovered or focused bar's count under the chart, and let the
  // arrow keys move between bars.
  var chart = document.querySelector("svg.chart");
  if (chart) {
    var tip = document.createElement("p");
    tip.className = "tl-tip";
    tip.setAttribute("aria-live", "polite");
    chart.parentNode.insertBefore(tip, chart.nextSibling);
    var bars = Array.prototype.slice.call(chart.querySelectorAll("a.bar"));
    bars.forEach(function (bar, i) {
      var title = bar.querySelector("title");
      var show = function () { tip.textContent = title ? title.textContent : ""; };
      bar.addEventListener("mouseenter", show);
      bar.addEventListener("focus", show);
      bar.addEventListener("keydown", function (ev) {
        var next = ev.key === "ArrowRight" ? i + 1 : ev.key === "ArrowLeft" ? i - 1 : -1;
        if (next >= 0 && next < bars.length) { bars[next].focus(); ev.preventDefault(); }
      });
    });
  }
  // Search options apply at once (the Apply button stays for keyboard and no-JS use).
  var form = document.getElementById("search-form");
  if (form) {
    ["sort", "stories", "all"].forEach(function (id) {
      var el = document.getElementById(id);
      if (el) { el.addEventListener("change", function () { form.requestSubmit(); }); }
    });
    // Keep shared URLs short: leave empty and default fields out of the query string.
    form.addEventListener("submit", function () {
      Array.prototype.forEach.call(form.elements, function (el) {
        if (!el.name) { return; }
        if (el.value === "" || (el.name === "sort" && el.value === "relevance")) {
          el.disabled = true;
        }
      });
      window.setTimeout(function () {
        Array.prototype.forEach.call(form.elements, function (el) { el.disabled = false; });
      }, 0);
    });
  }
  // Dates in the reader's own locale when the browser knows it (server renders the
  // interface language's format).
  var locale = document.body.getAttribute("data-locale");
  if (window.Intl && locale) {
    var fmt = new Intl.DateTimeFormat(locale, { year: "numeric", month: "long", day: "numeric" });
    Array.prototype.forEach.call(document.querySelectorAll("time[datetime]"), function (el) {
      var raw = el.getAttribute("datetime");
      if (!/^\d{4}-\d{2}-\d{2}/.test(raw) || /\d{2}:\d{2}/.test(el.textContent)) { return; }
      var d = new Date(raw.slice(0, 10) + "T12:00:00");
      if (!isNaN(d)) { el.title = fmt.format(d); }
    });
  }
})();
