// The team dashboard's charts. Loaded as a file (the CSP forbids inline scripts): every
// element with data-source names the JSON element the page wrote for it (json_script).
// A chart element carrying a URL opens the drill-down page listing its records.
(function () {
  "use strict";

  // Okabe–Ito, readable with every common colour-vision deficiency.
  var PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000", "#F0E442"];
  var TEXT = "#343a40";
  var FONT_SIZE = 12;

  function read(holder) {
    var source = document.getElementById(holder.getAttribute("data-source"));
    if (!source) { return null; }
    try { return JSON.parse(source.textContent); } catch (error) { return null; }
  }

  // Rough width of a label: CJK characters are about twice as wide as Latin ones.
  function textWidth(text) {
    var width = 0;
    for (var i = 0; i < text.length; i++) {
      width += text.charCodeAt(i) > 0x2e80 ? FONT_SIZE : FONT_SIZE * 0.6;
    }
    return width;
  }

  // How many lines a wrapping legend takes at this width, so the plot starts below it.
  function legendRows(names, width) {
    var rows = 1;
    var used = 0;
    names.forEach(function (name) {
      var item = textWidth(name) + 40;
      if (used + item > width && used > 0) { rows += 1; used = 0; }
      used += item;
    });
    return rows;
  }

  function legend(names, width) {
    if (names.length < 2) { return { show: false, rows: 0 }; }
    return {
      show: true,
      rows: legendRows(names, width),
      option: { type: "plain", top: 0, left: 0, right: 0, itemGap: 12, textStyle: { color: TEXT, fontSize: FONT_SIZE }, data: names }
    };
  }

  function truncate(label, max) {
    return label.length > max ? label.slice(0, max - 1) + "…" : label;
  }

  function barOption(data, width) {
    var names = data.series.map(function (s) { return s.name; });
    var key = legend(names, width);
    var top = key.show ? key.rows * 24 + 8 : 8;
    var narrow = width < 520;
    // Category labels of a vertical chart share the width: when the longest does not fit
    // its slot, all are slanted (and long ones shortened) rather than run together.
    var slot = (width - 60) / Math.max(data.categories.length, 1);
    var longest = Math.max.apply(null, data.categories.map(textWidth));
    var slant = !data.horizontal && longest > slot - 4;
    var categoryAxis = {
      type: "category",
      data: data.categories,
      axisLabel: {
        color: TEXT,
        fontSize: FONT_SIZE,
        interval: 0,
        hideOverlap: false,
        width: data.horizontal ? (narrow ? 72 : 120) : undefined,
        overflow: data.horizontal ? "truncate" : "none",
        rotate: slant ? 35 : 0,
        formatter: function (label) { return data.horizontal || !slant ? label : truncate(label, 8); }
      },
      axisTick: { alignWithLabel: true },
      inverse: !!data.horizontal
    };
    var valueAxis = {
      type: "value",
      max: data.max || null,
      minInterval: data.valueName === "%" ? null : 1,
      axisLabel: { color: TEXT, fontSize: FONT_SIZE },
      name: data.horizontal ? "" : data.valueName,
      nameTextStyle: { color: TEXT, align: "left" }
    };
    var series = data.series.map(function (s, index) {
      var item = {
        type: "bar",
        name: s.name,
        data: s.data,
        stack: data.stacked ? "total" : undefined,
        itemStyle: s.color ? { color: s.color } : undefined,
        barMaxWidth: 36,
        emphasis: { focus: "series" }
      };
      if (index === 0 && data.average && data.average.value !== null) {
        item.markLine = {
          symbol: "none",
          label: { formatter: data.average.name + " {c}", color: TEXT, position: "insideEndTop" },
          lineStyle: { color: "#6c757d", type: "dashed" },
          data: [{ xAxis: data.average.value }]
        };
      }
      return item;
    });
    return {
      color: PALETTE,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, confine: true },
      legend: key.option,
      // Room above the plot for the value axis' name, below the legend.
      grid: { left: 8, right: 24, top: top + (data.horizontal ? 0 : 28), bottom: 8, containLabel: true },
      xAxis: data.horizontal ? valueAxis : categoryAxis,
      yAxis: data.horizontal ? categoryAxis : valueAxis,
      series: series
    };
  }

  function lineOption(data) {
    return {
      color: PALETTE,
      tooltip: { trigger: "axis", confine: true },
      grid: { left: 8, right: 24, top: 32, bottom: 8, containLabel: true },
      xAxis: { type: "category", data: data.categories, axisLabel: { color: TEXT, fontSize: FONT_SIZE } },
      yAxis: { type: "value", name: data.valueName, nameTextStyle: { color: TEXT, align: "left" }, axisLabel: { color: TEXT, fontSize: FONT_SIZE } },
      series: data.series.map(function (s) {
        return { type: "line", name: s.name, data: s.data, connectNulls: true, symbolSize: 8, label: { show: true, color: TEXT, fontSize: 11 } };
      })
    };
  }

  function heatmapOption(data, width) {
    var narrow = width < 520;
    return {
      tooltip: {
        confine: true,
        formatter: function (params) {
          var v = params.data.value;
          return data.y[v[1]] + " · " + data.x[v[0]] + ": " + v[2];
        }
      },
      grid: { left: 8, right: 8, top: 8, bottom: 48, containLabel: true },
      xAxis: { type: "category", data: data.x, splitArea: { show: true }, axisLabel: { color: TEXT, fontSize: FONT_SIZE, rotate: narrow && data.x.length > 6 ? 45 : 0 } },
      yAxis: { type: "category", data: data.y, inverse: true, splitArea: { show: true }, axisLabel: { color: TEXT, fontSize: FONT_SIZE, width: narrow ? 64 : 110, overflow: "truncate" } },
      visualMap: {
        min: 0,
        max: Math.max(data.max, 1),
        calculable: false,
        orient: "horizontal",
        left: "center",
        bottom: 0,
        itemHeight: narrow ? 120 : 180,
        textStyle: { color: TEXT },
        // Light to dark blue: order reads without hue, and survives colour-blindness.
        inRange: { color: ["#f7fbff", "#9ecae1", "#2171b5", "#08306b"] }
      },
      series: [{
        type: "heatmap",
        name: data.valueName,
        data: data.data,
        label: { show: true, fontSize: 11, formatter: function (p) { return p.data.value[2] || ""; } },
        emphasis: { itemStyle: { borderColor: "#000", borderWidth: 1 } }
      }]
    };
  }

  function pieOption(data, width, height) {
    var names = data.data.map(function (d) { return d.name; });
    var key = legend(names, width);
    var top = key.show ? key.rows * 24 + 8 : 0;
    var narrow = width < 520;
    // The ring fills what the legend leaves; on a phone the shares sit inside the ring's
    // segments (outside labels would be cut off), names are in the legend.
    var room = Math.min(width, height - top) / 2 - (narrow ? 8 : 40);
    return {
      color: PALETTE,
      tooltip: { trigger: "item", confine: true, formatter: "{b}: {c} ({d}%)" },
      legend: key.option,
      series: [{
        type: "pie",
        name: data.valueName,
        radius: [Math.round(room * 0.5), Math.round(room)],
        center: ["50%", top + (height - top) / 2],
        data: data.data,
        label: narrow
          ? { position: "inside", color: "#fff", fontSize: 11, formatter: "{d}%" }
          : { color: TEXT, fontSize: FONT_SIZE, formatter: "{b}\n{d}%" },
        labelLine: { show: !narrow },
        avoidLabelOverlap: true
      }]
    };
  }

  function build(data, width, height) {
    if (data.type === "line") { return lineOption(data); }
    if (data.type === "heatmap") { return heatmapOption(data, width); }
    if (data.type === "pie") { return pieOption(data, width, height); }
    return barOption(data, width);
  }

  function draw(holder) {
    var data = read(holder);
    if (!data) { return; }
    if (data.height) { holder.style.height = data.height + "px"; }
    // SVG: crisp text at every zoom, and elements the browser tests can find and click.
    var chart = window.echarts.init(holder, null, { renderer: "svg" });
    chart.setOption(build(data, holder.clientWidth, holder.clientHeight));
    chart.on("click", function (params) {
      var url = params.data && params.data.url;
      if (url) { window.location.assign(url); }
    });
    holder.classList.add("ps-chart-drawn");
    var width = holder.clientWidth;
    window.addEventListener("resize", function () {
      if (holder.clientWidth !== width) {
        width = holder.clientWidth;
        chart.setOption(build(data, width, holder.clientHeight), true);
      }
      chart.resize();
    });
  }

  function start() {
    if (typeof window.echarts === "undefined") { return; }
    Array.prototype.forEach.call(document.querySelectorAll(".ps-chart[data-source]"), draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
