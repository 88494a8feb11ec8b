// A site's 24 h dust chart: progressive enhancement over the readings table in <details>.
// Data comes from the element's data-chart attribute (no inline script: the CSP forbids it).
(function () {
  "use strict";
  var el = document.getElementById("dust-chart");
  if (!el || typeof window.echarts === "undefined") { return; }
  var data = JSON.parse(el.dataset.chart || "{}");
  var limits = data.limits || {};
  function line(name, values, color, limit) {
    var series = { name: name, type: "line", showSymbol: false, data: values,
                   itemStyle: { color: color }, lineStyle: { color: color } };
    if (typeof limit === "number") {
      series.markLine = { symbol: "none", lineStyle: { type: "dashed", color: color },
                          label: { formatter: name + " " + el.dataset.limitLabel + " {c}" },
                          data: [{ yAxis: limit }] };
    }
    return series;
  }
  var chart = window.echarts.init(el, null, { renderer: "canvas" });
  chart.setOption({
    animation: false,
    grid: { left: 48, right: 96, top: 32, bottom: 40 },
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    xAxis: { type: "category", data: data.times || [] },
    yAxis: { type: "value", name: "µg/m³" },
    series: [
      line("PM2.5", data.pm2_5 || [], "#0b4f8a", limits.pm2_5),
      line("PM10", data.pm10 || [], "#9a4a00", limits.pm10)
    ]
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
