// The overview's 30-day chart: progressive enhancement over the table in <details>.
// Data comes from the element's data- attributes (no inline script: the page's CSP forbids it).
(function () {
  "use strict";
  var el = document.getElementById("daily-chart");
  if (!el || typeof window.echarts === "undefined") { return; }
  var days = el.dataset.days ? el.dataset.days.split(",") : [];
  var values = el.dataset.series ? el.dataset.series.split(",").map(Number) : [];
  var chart = window.echarts.init(el, null, { renderer: "canvas" });
  chart.setOption({
    animation: false,
    grid: { left: 48, right: 24, top: 24, bottom: 40 },
    tooltip: { trigger: "axis" },
    xAxis: { type: "category", data: days.map(function (d) { return d.slice(5); }) },
    yAxis: { type: "value", minInterval: 1 },
    series: [{ name: el.dataset.name, type: "bar", data: values, itemStyle: { color: "#0b4f8a" } }]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
