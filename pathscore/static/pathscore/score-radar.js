// The score page's radar: the person's dimension scores against the team's averages.
// Loaded as a file (the CSP forbids inline scripts); the data comes from the JSON element
// written by the page, and the table below the chart stays as the fallback.
(function () {
  "use strict";

  function draw() {
    var holder = document.getElementById("score-radar");
    var source = document.getElementById("score-radar-data");
    if (!holder || !source || typeof window.echarts === "undefined") { return; }
    var data;
    try { data = JSON.parse(source.textContent); } catch (error) { return; }
    if (!data.indicators || data.indicators.length < 3) {
      // A radar needs three axes; with fewer the table says it all.
      holder.classList.add("d-none");
      return;
    }
    holder.classList.add("ps-radar-drawn");
    var chart = window.echarts.init(holder, null, { renderer: "svg" });
    chart.setOption({
      color: ["#0d6efd", "#adb5bd"],
      tooltip: { trigger: "item", confine: true },
      legend: { bottom: 0, data: [data.labels.mine, data.labels.team] },
      radar: {
        indicator: data.indicators,
        radius: "62%",
        center: ["50%", "46%"],
        axisName: { color: "#495057", fontSize: 12 }
      },
      series: [{
        type: "radar",
        data: [
          { value: data.mine, name: data.labels.mine, areaStyle: { opacity: 0.2 } },
          { value: data.team, name: data.labels.team, lineStyle: { type: "dashed" } }
        ]
      }]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
