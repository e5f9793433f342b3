// A bar chart of the first numeric column by the first column; suppressed cells are gaps.
// Bars start at zero, numbers read with thousands separators (never an offset or 1e+6), long
// category labels turn and are cut short (the tooltip has them whole), and the chart follows
// the width of its box.
(function () {
  "use strict";
  var box = document.getElementById("zone-chart");
  // The JSON by its element type too: the result's <section> may carry the same id.
  var result = JSON.parse(document.querySelector("script[type='application/json']#zone-result-data").textContent);
  var rows = result.rows, columns = result.columns, value = -1;
  for (var i = 1; i < columns.length && value < 0; i++) {
    if (rows.some(function (r) { return typeof r[i] === "number"; })) { value = i; }
  }
  if (value < 0 || !window.echarts) { box.remove(); return; }

  var NUMBER = new Intl.NumberFormat(document.documentElement.lang || "zh-CN",
                                     {maximumFractionDigits: 3, useGrouping: true});
  function number(v) {
    return v === null || v === undefined || v === "" || isNaN(v) ? "—" : NUMBER.format(Number(v));
  }
  var labels = rows.map(function (r) { return r[0] === null || r[0] === undefined ? "—" : String(r[0]); });
  var integers = rows.every(function (r) { return r[value] === null || Number.isInteger(r[value]); });

  function option() {
    var width = box.clientWidth || 320;
    // Turn the labels when they would not fit side by side (about 13 px a character).
    var text = labels.reduce(function (sum, l) { return sum + Math.min(l.length, 10) * 13 + 12; }, 0);
    var crowded = text > width * 0.85;
    return {
      animation: false, color: ["#1f5fa8"],
      textStyle: {fontFamily: window.getComputedStyle(document.body).fontFamily},
      tooltip: {trigger: "axis", confine: true, valueFormatter: number},
      legend: {bottom: 0, type: "scroll", textStyle: {fontSize: 12, color: "#373c44"}},
      grid: {left: 8, right: 16, top: 16, bottom: 32, containLabel: true},
      xAxis: {type: "category", data: labels,
              axisLabel: {interval: "auto", hideOverlap: true, rotate: crowded ? 35 : 0,
                          width: crowded ? 90 : Math.max(48, width / Math.max(labels.length, 1) - 8),
                          overflow: "truncate"}},
      yAxis: {type: "value", min: function (extent) { return Math.min(0, extent.min); },
              minInterval: integers ? 1 : undefined, axisLabel: {formatter: number, hideOverlap: true}},
      series: [{type: "bar", name: columns[value], barMaxWidth: 48,
                data: rows.map(function (r) { return r[value]; })}]
    };
  }

  var chart = echarts.init(box);
  chart.setOption(option());
  var width = box.clientWidth;
  function fit() {
    if (box.clientWidth !== width) { width = box.clientWidth; chart.setOption(option(), {notMerge: true}); }
    chart.resize();
  }
  window.addEventListener("resize", fit);
  if (window.ResizeObserver) { new ResizeObserver(fit).observe(box); }
})();
