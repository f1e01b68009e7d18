// The officials' dashboard: one bar chart per contract (delivered,
// expected by now and forecast, in % of each item) and one of its visits
// by month. Data comes from the page (no extra request); ECharts is
// vendored and loaded on this page only.
(function () {
  "use strict";
  var node = document.getElementById("dashboard-data");
  if (!node || !window.echarts) return;
  var data;
  try { data = JSON.parse(node.textContent); } catch (e) { return; }
  var L = data.labels;
  var made = [];
  data.charts.forEach(function (c) {
    var bars = document.getElementById(c.id);
    if (bars) {
      var chart = echarts.init(bars, null, { renderer: "svg" });
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
      made.push(chart);
    }
    var months = document.getElementById(c.id + "-months");
    if (months && c.months.length) {
      var m = echarts.init(months, null, { renderer: "svg" });
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
      made.push(m);
    }
  });
  window.addEventListener("resize", function () { made.forEach(function (c) { c.resize(); }); });
})();
