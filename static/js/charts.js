/* Draw every canvas[data-chart-source] from the JSON script it names (json_script).
 * Runs on page load and after every htmx swap (htmx.onLoad), and destroys the chart a
 * canvas already holds before drawing it again. Kinds: "spark" (a card's sparkline)
 * and "trend" (a KPI's trend with its benchmark band shaded). */
(function () {
  "use strict";

  var INK = "#1f4e8c";
  var BAND = "rgba(27, 127, 75, 0.13)";
  var BAND_EDGE = "rgba(27, 127, 75, 0.55)";

  function readData(canvas) {
    var source = document.getElementById(canvas.dataset.chartSource);
    if (!source) { return null; }
    try { return JSON.parse(source.textContent); } catch (e) { return null; }
  }

  function bounds(data) {
    var values = data.values.filter(function (v) { return v !== null; });
    var band = data.band || [null, null];
    var all = values.concat(band.filter(function (b) { return b !== null; }));
    if (!all.length) { return [0, 1]; }
    var lo = Math.min.apply(null, all), hi = Math.max.apply(null, all);
    var pad = (hi - lo) * 0.15 || Math.abs(hi) * 0.1 || 1;
    return [lo - pad, hi + pad];
  }

  function bandDatasets(data, range) {
    if (!data.band) { return []; }
    var low = data.band[0] === null ? range[0] : data.band[0];
    var high = data.band[1] === null ? range[1] : data.band[1];
    var n = data.labels.length;
    function line(v) { var out = []; for (var i = 0; i < n; i++) { out.push(v); } return out; }
    return [
      { label: "Band low", data: line(low), borderColor: BAND_EDGE, borderWidth: 1,
        borderDash: [4, 4], pointRadius: 0, fill: false, order: 2 },
      { label: "Benchmark band", data: line(high), borderColor: BAND_EDGE, borderWidth: 1,
        borderDash: [4, 4], pointRadius: 0, backgroundColor: BAND, fill: "-1", order: 2 }
    ];
  }

  function config(kind, data) {
    var range = bounds(data);
    var spark = kind === "spark";
    var value = {
      label: data.label, data: data.values, borderColor: INK, backgroundColor: INK,
      borderWidth: spark ? 1.5 : 2.5, pointHoverRadius: 5,
      // A sparkline marks only its last point: the period the card shows.
      pointRadius: spark ? data.values.map(function (v, i) {
        return i === data.values.length - 1 ? 2.5 : 0;
      }) : 3,
      spanGaps: false, cubicInterpolationMode: "monotone", fill: false, order: 1
    };
    return {
      type: "line",
      data: { labels: data.labels, datasets: [value].concat(bandDatasets(data, range)) },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        plugins: {
          legend: { display: !spark, labels: { filter: function (item) { return item.text !== "Band low"; } } },
          tooltip: { enabled: !spark, filter: function (item) { return item.datasetIndex === 0; } }
        },
        scales: {
          x: { display: !spark, grid: { display: false } },
          y: spark ? { display: false, min: range[0], max: range[1] } : {
               suggestedMin: range[0], suggestedMax: range[1],
               title: { display: !spark && !!data.unit, text: data.unit } }
        },
        elements: { line: { capBezierPoints: true } }
      }
    };
  }

  function draw(root) {
    if (typeof Chart === "undefined") { return; }
    var canvases = root.querySelectorAll ? root.querySelectorAll("canvas[data-chart-source]") : [];
    Array.prototype.forEach.call(canvases, function (canvas) {
      var data = readData(canvas);
      if (!data) { return; }
      var previous = Chart.getChart(canvas);
      if (previous) { previous.destroy(); }
      new Chart(canvas, config(canvas.dataset.chartKind || "trend", data));
    });
  }

  if (window.htmx) {
    htmx.onLoad(draw);
  } else {
    document.addEventListener("DOMContentLoaded", function () { draw(document); });
  }
})();
