// The overview's charts (30 days on site, 12 months paid): progressive enhancement over the table in <details>.
// Data comes from the element's data- attributes (no inline script: the page's CSP forbids it).
(function () {
  "use strict";
  if (typeof window.echarts === "undefined") { return; }
  Array.prototype.forEach.call(document.querySelectorAll(".chart[data-series]"), draw);
  function draw(el) {
    var days = el.dataset.days ? el.dataset.days.split(",") : [];
    var values = el.dataset.series ? el.dataset.series.split(",").map(Number) : [];
    var chart = window.echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      grid: { left: 48, right: 24, top: 24, bottom: 40 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: days.map(function (d) { return d.length > 7 ? d.slice(5) : d; }) },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ name: el.dataset.name, type: "bar", data: values, itemStyle: { color: "#0b4f8a" } }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
})();
