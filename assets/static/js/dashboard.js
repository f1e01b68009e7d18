// The officials' dashboard: one bar chart per contract (delivered,
// expected by now and forecast, in % of each item) and one of its visits
// by month. Each chart's figures are already on the page as a table (for
// readers without script and for screen readers); ECharts (vendored,
// 340 KB) is fetched only when the first chart scrolls into view, then
// each chart is drawn as it comes into view and its table kept for
// screen readers only. Data comes from the page (no extra request).
(function () {
  "use strict";
  var node = document.getElementById("dashboard-data");
  if (!node || !("IntersectionObserver" in window)) return;
  var data;
  try { data = JSON.parse(node.textContent); } catch (e) { return; }
  var src = node.getAttribute("data-echarts");
  var L = data.labels;
  var byId = {};
  data.charts.forEach(function (c) { byId[c.id] = c; });
  var made = [];
  var waiting = [];
  var loading = false;

  // Runs `then` once ECharts is there, inserting its script on first need.
  function withCharts(then) {
    if (window.echarts) { then(); return; }
    waiting.push(then);
    if (loading) return;
    loading = true;
    var s = document.createElement("script");
    s.src = src;
    s.async = true;
    s.onload = function () {
      var w = waiting;
      waiting = [];
      w.forEach(function (f) { f(); });
    };
    s.onerror = function () { waiting = []; };
    document.head.appendChild(s);
  }

  function bars(el, c) {
    var chart = echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      grid: { left: 8, right: 20, top: 28, bottom: 4, containLabel: true },
      legend: { top: 0, itemWidth: 12, textStyle: { fontSize: 11 } },
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v + "%"; } },
      xAxis: { type: "value", max: function (v) { return Math.max(100, Math.ceil(v.max / 10) * 10); }, axisLabel: { formatter: "{value}%" } },
      yAxis: { type: "category", data: c.items, inverse: true },
      series: [
        { name: L.delivered, type: "bar", data: c.delivered, itemStyle: { color: "#0172ad" } },
        { name: L.expected, type: "bar", data: c.expected, itemStyle: { color: "#c2c7d0" } },
        { name: L.forecast, type: "bar", data: c.forecast, itemStyle: { color: "#ea580c" } }
      ]
    });
    return chart;
  }

  function months(el, c) {
    var m = echarts.init(el, null, { renderer: "svg" });
    m.setOption({
      animation: false,
      grid: { left: 8, right: 20, top: 28, bottom: 4, containLabel: true },
      legend: { top: 0, itemWidth: 12, textStyle: { fontSize: 11 } },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: c.months },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: L.completed, type: "bar", stack: "v", data: c.completed, itemStyle: { color: "#2f855a" } },
        { name: L.attempted, type: "bar", stack: "v", data: c.attempted, itemStyle: { color: "#d69e2e" } },
        { name: L.missed, type: "bar", stack: "v", data: c.missed, itemStyle: { color: "#c53030" } },
        { name: L.late, type: "line", data: c.late, itemStyle: { color: "#ea580c" } }
      ]
    });
    return m;
  }

  // Draws the chart of one figure and keeps its table for screen readers.
  function draw(figure) {
    var id = figure.getAttribute("data-chart");
    var el = document.getElementById(id);
    var isMonths = /-months$/.test(id);
    var c = byId[isMonths ? id.replace(/-months$/, "") : id];
    if (!el || !c) return;
    el.hidden = false;
    made.push(isMonths ? months(el, c) : bars(el, c));
    var table = figure.querySelector("table");
    if (table) table.classList.add("sr-only");
  }

  var seen = new IntersectionObserver(function (entries) {
    entries.forEach(function (e) {
      if (!e.isIntersecting) return;
      seen.unobserve(e.target);
      withCharts(function () { draw(e.target); });
    });
  });
  document.querySelectorAll("[data-chart]").forEach(function (f) { seen.observe(f); });
  window.addEventListener("resize", function () { made.forEach(function (c) { c.resize(); }); });
})();
