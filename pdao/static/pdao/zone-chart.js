// A bar chart of the first numeric column by the first column; suppressed cells are gaps.
(function () {
  var result = JSON.parse(document.getElementById("zone-result").textContent);
  var rows = result.rows, columns = result.columns, value = -1;
  for (var i = 1; i < columns.length && value < 0; i++) {
    if (rows.some(function (r) { return typeof r[i] === "number"; })) { value = i; }
  }
  if (value < 0 || !window.echarts) { document.getElementById("zone-chart").remove(); return; }
  var chart = echarts.init(document.getElementById("zone-chart"));
  chart.setOption({
    animation: false, tooltip: {}, grid: {left: 80, right: 20, bottom: 60},
    xAxis: {type: "category", data: rows.map(function (r) { return String(r[0]); }), axisLabel: {rotate: 30}},
    yAxis: {type: "value", name: columns[value]},
    series: [{type: "bar", name: columns[value], data: rows.map(function (r) { return r[value]; })}]
  });
})();
