/* freshroute siting map: draws the scenarios embedded in #siting-data with Leaflet.
 * One layer per scenario (a layer switcher shows one at a time, the first by default, or
 * the one named by #scenario=NAME or #scenario=INDEX): freshness-radius shapes, catchment
 * lines, villages coloured by freshness, open centres and closed candidate sites. The hub
 * and villages without produce are always shown. When done it writes the shown
 * scenario's counts into #render-status for browser tests. Shared pieces: common.js (FR).
 */
(function () {
  "use strict";
  var el = FR.el;
  var STATUS_COLORS = { inside: "#2e7d32", partial: "#f9a825", outside: "#c62828",
                        idle: "#bdbdbd" };
  var built = 0;
  var counts = [];
  var active = -1;

  function villageDot(status) {
    return '<svg width="14" height="14" viewBox="0 0 14 14"><circle cx="7" cy="7" r="5" ' +
      'fill="' + STATUS_COLORS[status] + '" stroke="#555" stroke-width="1.5"/></svg>';
  }

  function buildScenario(s, labels) {
    var group = L.featureGroup();
    var n = { centres: 0, closed: 0, villages: 0, catchments: 0, radii: 0 };
    s.centres.forEach(function (c) {
      if (!c.radius) return;
      var style = { color: c.color, weight: 1.5, opacity: 0.9, dashArray: "6 4",
                    fillColor: c.color, fillOpacity: 0.07, interactive: false,
                    className: "fr-radius" };
      if (c.radius.kind === "circle") {
        style.radius = c.radius.m;
        L.circle([c.lat, c.lon], style).addTo(group);
      } else {
        L.polygon(c.radius.latlngs, style).addTo(group);
      }
      n.radii++;
    });
    s.villages.forEach(function (v) {
      L.polyline([[v.lat, v.lon], v.centre], { color: v.color, weight: 2, opacity: 0.85,
                                               className: "fr-catchment" })
        .bindTooltip(v.link, { sticky: true, className: "fr-tip" }).addTo(group);
      n.catchments++;
    });
    s.villages.forEach(function (v) {
      L.circleMarker([v.lat, v.lon], { radius: 6, color: v.color, weight: 2.5, opacity: 1,
                                       fillColor: STATUS_COLORS[v.status], fillOpacity: 0.95,
                                       className: "fr-village fr-" + v.status })
        .bindPopup(v.popup, FR.popupOptions({ maxWidth: 480, minWidth: 220, maxHeight: 360 }))
        .bindTooltip(v.tooltip, { direction: "right", offset: [8, 0], className: "fr-tip" })
        .addTo(group);
      n.villages++;
    });
    s.closed.forEach(function (c) {
      L.marker([c.lat, c.lon], { icon: FR.siteIcon({ icon: "closed" }, labels),
                                 zIndexOffset: 500 })
        .bindPopup(c.popup, FR.popupOptions({ maxWidth: 360 }))
        .bindTooltip(c.tooltip, { direction: "right", offset: [12, 0], className: "fr-tip" })
        .addTo(group);
      n.closed++;
    });
    s.centres.forEach(function (c) {
      L.marker([c.lat, c.lon], { icon: FR.siteIcon({ icon: "centre", color: c.color }, labels),
                                 zIndexOffset: 1000 })
        .bindPopup(c.popup, FR.popupOptions({ maxWidth: 420, minWidth: 240 }))
        .bindTooltip(c.tooltip, { permanent: true, direction: "right", offset: [14, 0],
                                  className: "fr-tip" })
        .addTo(group);
      n.centres++;
    });
    return { group: group, counts: n };
  }

  function legendControl(data) {
    var ctl = L.control({ position: "bottomleft" });
    ctl.onAdd = function () {
      var box = FR.panel("fr-legend");
      box.appendChild(el("h3", null, data.labels.legend));
      box.appendChild(el("h4", null, data.labels.sites));
      data.legend.sites.forEach(function (item) {
        var icon = FR.siteIcon({ icon: item.icon }, data.labels);
        box.appendChild(el("div", "fr-site-row", '<span class="fr-icon">' + icon.options.html +
          "</span>" + item.label));
      });
      data.legend.villages.forEach(function (item) {
        box.appendChild(el("div", "fr-site-row", '<span class="fr-icon">' +
          villageDot(item.status) + "</span>" + item.label));
      });
      box.appendChild(el("h4", null, data.labels.notes));
      data.legend.notes.forEach(function (note) { box.appendChild(el("div", "fr-note", note)); });
      if (!data.tiles) box.appendChild(el("div", "fr-note", data.labels.no_tiles));
      return box;
    };
    return ctl;
  }

  // Highlights the shown scenario's column in the KPI panel.
  function showActive(index) {
    active = index;
    var cells = document.querySelectorAll(".fr-kpis th, .fr-kpis td");
    for (var i = 0; i < cells.length; i++) {
      cells[i].classList.toggle("fr-active", cells[i].classList.contains("fr-s" + index));
    }
  }

  function pickScenario(data) {
    var wanted = FR.hashParams().scenario;
    if (wanted === undefined) return 0;
    for (var i = 0; i < data.scenarios.length; i++) {
      if (data.scenarios[i].name === wanted) return i;
    }
    var k = parseInt(wanted, 10);
    return k >= 0 && k < data.scenarios.length ? k : 0;
  }

  try {
    var data = JSON.parse(document.getElementById("siting-data").textContent);
    var map = FR.setupMap(data);
    legendControl(data).addTo(map);

    data.fixed.forEach(function (s) {
      var layer = s.icon === "hub"
        ? L.marker([s.lat, s.lon], { icon: FR.siteIcon(s, data.labels), zIndexOffset: 900 })
        : L.circleMarker([s.lat, s.lon], { radius: 3.5, color: "#fff", weight: 1,
                                           fillColor: STATUS_COLORS.idle, fillOpacity: 1,
                                           className: "fr-village-idle" });
      layer.bindPopup(s.popup, FR.popupOptions({ maxWidth: 360 }))
        .bindTooltip(s.tooltip, { direction: "right", offset: [10, 0], className: "fr-tip" })
        .addTo(map);
    });

    var base = {};
    var groups = [];
    data.scenarios.forEach(function (s, i) {
      var made = buildScenario(s, data.labels);
      groups.push(made.group);
      counts.push(made.counts);
      base[s.label] = made.group;
      built++;
    });
    var first = pickScenario(data);
    groups[first].addTo(map);
    showActive(first);
    L.control.layers(base, null, { collapsed: false, position: "topleft" }).addTo(map);
    map.on("baselayerchange", function (e) { showActive(groups.indexOf(e.layer)); });
  } catch (e) {
    window.__errors.push(String(e && e.stack ? e.stack : e));
  } finally {
    var shown = counts[active] || {};
    FR.finish({ "scenarios-built": built, active: active, centres: shown.centres || 0,
                closed: shown.closed || 0, villages: shown.villages || 0,
                catchments: shown.catchments || 0, radii: shown.radii || 0 });
  }
})();
