// 监管驾驶舱: draws each figure of the page (JSON beside its chart) with ECharts; a click on
// any value opens the records behind it. The tables under the charts hold the same links.
(function () {
  "use strict";
  var COLORS = ["#1f5fa8", "#d9534f", "#5b8a69", "#e0a100", "#7a5aa6", "#3a9bb3"];

  function option(figure) {
    var series = figure.series;
    var labels = series.length ? series[0].points.map(function (p) { return p.label; }) : [];
    var base = {animation: false, color: COLORS, tooltip: {trigger: figure.kind === "pie" ? "item" : "axis"},
                legend: {bottom: 0, type: "scroll"}};
    if (figure.kind === "pie") {
      var total = series[0].points.reduce(function (sum, p) { return sum + p.value; }, 0);
      if (!total) {
        base.title = {text: figure.empty, left: "center", top: "middle", textStyle: {color: "#5b6b80", fontSize: 14}};
        base.series = [];
        return base;
      }
      base.series = [{type: "pie", radius: ["40%", "70%"], name: series[0].name, stillShowZeroSum: false,
        label: {formatter: "{b}: {c}"},
        data: series[0].points.map(function (p) {
          return {name: p.label, value: p.value, url: p.url, itemStyle: p.color ? {color: p.color} : undefined};
        })}];
      return base;
    }
    var category = {type: "category", data: labels, axisLabel: {interval: "auto", hideOverlap: true}};
    var value = {type: "value", minInterval: 1};
    var horizontal = figure.kind === "hbar";
    base.grid = {left: horizontal ? 140 : 50, right: 20, top: 20, bottom: 50, containLabel: !horizontal};
    base.xAxis = horizontal ? value : category;
    base.yAxis = horizontal ? category : value;
    if (horizontal) { category.axisLabel.width = 130; category.axisLabel.overflow = "truncate"; }
    base.series = series.map(function (s) {
      return {type: figure.kind === "line" ? "line" : "bar", name: s.name, stack: figure.stacked ? "all" : undefined,
              itemStyle: s.color ? {color: s.color} : undefined,
              symbolSize: 6, data: s.points.map(function (p) { return {value: p.value, url: p.url}; })};
    });
    return base;
  }

  function draw() {
    if (!window.echarts) { return; }
    document.querySelectorAll("[data-figure]").forEach(function (box) {
      var figure = JSON.parse(document.getElementById(box.dataset.figure).textContent);
      var chart = echarts.init(box, null, {renderer: "canvas"});
      chart.setOption(option(figure));
      chart.on("click", function (params) {
        if (params.data && params.data.url) { window.location.assign(params.data.url); }
      });
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
