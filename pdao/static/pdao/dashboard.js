// 监管驾驶舱: draws each figure of the page (JSON beside its chart) with ECharts; a click on
// any value opens the records behind it. The tables under the charts hold the same links.
// Numbers read as plain numbers with thousands separators (never an offset or 1e+6), value
// axes start at zero, long labels are cut short (the tooltip has them whole), and every chart
// follows the width of its box, so none ever reaches past the page on a phone.
(function () {
  "use strict";
  var COLORS = ["#1f5fa8", "#d9534f", "#5b8a69", "#e0a100", "#7a5aa6", "#3a9bb3"];
  var LOCALE = document.documentElement.lang || "zh-CN";
  var NUMBER = new Intl.NumberFormat(LOCALE, {maximumFractionDigits: 3, useGrouping: true});

  function number(value) {
    if (value === null || value === undefined || value === "" || isNaN(value)) { return "—"; }
    return NUMBER.format(Number(value));
  }

  function integers(series) {
    return series.every(function (s) {
      return s.points.every(function (p) { return Number.isInteger(p.value); });
    });
  }

  // Room for category labels: a third of the chart, between 56 and 140 px.
  function labelWidth(box) { return Math.round(Math.min(140, Math.max(56, box.clientWidth * 0.32))); }

  function option(figure, box) {
    var series = figure.series;
    var labels = series.length ? series[0].points.map(function (p) { return p.label; }) : [];
    var font = window.getComputedStyle(document.body).fontFamily;
    var base = {
      animation: false, color: COLORS, textStyle: {fontFamily: font},
      tooltip: {trigger: figure.kind === "pie" ? "item" : "axis", confine: true, valueFormatter: number},
      legend: {bottom: 0, type: "scroll", textStyle: {fontSize: 12, color: "#373c44"}, itemGap: 12}
    };
    if (!labels.length) {  // nothing to draw on an axis: say so where the chart would be
      base.title = {text: figure.empty, left: "center", top: "middle", textStyle: {color: "#5b6b80", fontSize: 14}};
      base.series = [];
      return base;
    }
    if (figure.kind === "pie") {
      var total = series[0].points.reduce(function (sum, p) { return sum + p.value; }, 0);
      if (!total) {
        base.title = {text: figure.empty, left: "center", top: "middle", textStyle: {color: "#5b6b80", fontSize: 14}};
        base.series = [];
        return base;
      }
      base.series = [{type: "pie", radius: ["38%", "64%"], center: ["50%", "45%"], name: series[0].name,
        stillShowZeroSum: false, avoidLabelOverlap: true,
        label: {formatter: function (p) { return p.name + ": " + number(p.value); },
                width: labelWidth(box), overflow: "truncate"},
        data: series[0].points.map(function (p) {
          return {name: p.label, value: p.value, url: p.url, itemStyle: p.color ? {color: p.color} : undefined};
        })}];
      return base;
    }
    var horizontal = figure.kind === "hbar";
    var category = {type: "category", data: labels,
                    axisLabel: {interval: "auto", hideOverlap: true, width: labelWidth(box), overflow: "truncate"}};
    var value = {type: "value", min: 0, minInterval: integers(series) ? 1 : undefined,
                 axisLabel: {formatter: number, hideOverlap: true}};
    base.grid = {left: 8, right: horizontal ? 16 : 12, top: 16, bottom: 36, containLabel: true};
    base.xAxis = horizontal ? value : category;
    base.yAxis = horizontal ? category : value;
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
      chart.setOption(option(figure, box));
      chart.on("click", function (params) {
        if (params.data && params.data.url) { window.location.assign(params.data.url); }
      });
      var width = box.clientWidth;
      function fit() {
        if (box.clientWidth === width) { chart.resize(); return; }
        width = box.clientWidth;  // the label room follows the new width
        chart.setOption(option(figure, box), {notMerge: true});
        chart.resize();
      }
      window.addEventListener("resize", fit);
      if (window.ResizeObserver) { new ResizeObserver(fit).observe(box); }
    });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", draw); } else { draw(); }
})();
