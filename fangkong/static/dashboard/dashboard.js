// The dashboard's trend charts (Apache ECharts, served from /static/vendor/) and sortable tables.
// No inline script: the page says where its data is (data-url), this file fetches and draws it.
(function () {
  "use strict";

  var RATES = ["completeness", "reporting_rate", "on_time_rate", "resume_rate"];
  var SHOWN_COUNTS = ["missing", "red", "yellow", "overdue_items"];
  var charts = {};

  function series(data, keys, type) {
    return data.figures
      .filter(function (f) { return keys.indexOf(f.key) >= 0 || (type === "counts" && !f.percent); })
      .filter(function (f) { return data.series[f.key]; })
      .map(function (f) {
        return { name: f.label, key: f.key, type: "line", showSymbol: false, connectNulls: false, data: data.series[f.key] };
      });
  }

  function option(data, list, percent) {
    var selected = {};
    list.forEach(function (s) { selected[s.name] = percent || SHOWN_COUNTS.indexOf(s.key) >= 0; });
    return {
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { type: "scroll", top: 0, selected: selected },
      grid: { left: 8, right: 12, top: 36, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: data.days.map(function (d) { return d.slice(5); }) },
      yAxis: percent ? { type: "value", min: function (v) { return Math.max(0, Math.floor(v.min - 2)); }, max: 100 } : { type: "value", minInterval: 1 },
      series: list
    };
  }

  function draw(data) {
    var rates = series(data, RATES, "rates");
    var counts = series(data, [], "counts").filter(function (s) { return RATES.indexOf(s.key) < 0; });
    [["chart-rates", rates, true], ["chart-counts", counts, false]].forEach(function (c) {
      var el = document.getElementById(c[0]);
      if (!el) return;
      if (!charts[c[0]]) charts[c[0]] = window.echarts.init(el, null, { renderer: "canvas" });
      charts[c[0]].setOption(option(data, c[1], c[2]), true);
    });
  }

  function load(box, span) {
    var status = document.getElementById("trend-status");
    var url = box.dataset.url + (box.dataset.url.indexOf("?") >= 0 ? "&" : "?") + "span=" + span;
    status.textContent = "…";
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (data) { draw(data); status.textContent = ""; box.dataset.drawn = span; })
      .catch(function () { status.textContent = box.dataset.error || "!"; });
  }

  function setupTrends() {
    var box = document.getElementById("trends");
    if (!box || !window.echarts) return;
    var buttons = box.querySelectorAll("button[data-span]");
    buttons.forEach(function (b) {
      b.addEventListener("click", function () {
        buttons.forEach(function (o) { o.setAttribute("aria-pressed", String(o === b)); });
        load(box, b.dataset.span);
      });
    });
    load(box, buttons.length ? buttons[0].dataset.span : 30);
    window.addEventListener("resize", function () {
      Object.keys(charts).forEach(function (k) { charts[k].resize(); });
    });
  }

  function setupSorting() {
    document.querySelectorAll("table.sortable").forEach(function (table) {
      var heads = table.querySelectorAll("thead th");
      heads.forEach(function (th, col) {
        var button = th.querySelector("button");
        if (!button) return;
        button.addEventListener("click", function () {
          var numeric = th.dataset.sort === "num";
          var dir = th.getAttribute("aria-sort") === "descending" ? "ascending" : "descending";
          if (!numeric && !th.hasAttribute("aria-sort")) dir = "ascending";
          heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
          th.setAttribute("aria-sort", dir);
          var body = table.tBodies[0];
          var rows = Array.prototype.slice.call(body.rows);
          rows.sort(function (a, b) {
            var x = a.cells[col].dataset.sort, y = b.cells[col].dataset.sort;
            var r;
            if (numeric) {
              // empty values ("—") always last
              if (x === "" || y === "") return x === y ? 0 : (x === "" ? 1 : -1);
              r = parseFloat(x) - parseFloat(y);
            } else {
              r = x.localeCompare(y, "zh-Hans-CN");
            }
            return dir === "ascending" ? r : -r;
          });
          rows.forEach(function (row) { body.appendChild(row); });
        });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupSorting();
    setupTrends();
  });
})();
