/* freshroute route map: draws the plan embedded in #plan-data with Leaflet (inlined).
 * Works offline: base tiles are optional; without them the page shows a plain background,
 * a light graticule and a scale bar. When done it writes what it drew into #render-status
 * (data-routes-drawn, data-errors, data-status) so a headless browser test can read it.
 * Shared pieces (set-up, panels, icons, status) are in common.js, as FR.
 */
(function () {
  "use strict";
  var el = FR.el;
  var drawn = 0;
  var arrows = 0;
  var roads = 0;

  // Arrowheads at the middle of each leg long enough on screen, and every ~110 px along
  // lines made of many short pieces (road geometry), pointing the way the vehicle drives.
  function addArrows(map, group, latlngs, color) {
    var z = map.getZoom();
    var pts = latlngs.map(function (ll) { return map.project(L.latLng(ll), z); });
    var since = 55;
    for (var i = 0; i + 1 < pts.length; i++) {
      var a = pts[i], b = pts[i + 1];
      var dx = b.x - a.x, dy = b.y - a.y;
      var len = Math.sqrt(dx * dx + dy * dy);
      if (len < 1e-9) continue;
      var places = [];
      if (len >= 18) {
        places.push(0.5);
        since = len / 2;
      } else {
        since += len;
        if (since >= 110) { places.push(1.0); since = 0; }
      }
      for (var k = 0; k < places.length; k++) {
        var p = L.point(a.x + dx * places[k], a.y + dy * places[k]);
        var angle = Math.atan2(dy, dx) * 180 / Math.PI;
        var svg = '<svg width="16" height="16" viewBox="-8 -8 16 16" style="transform:rotate(' +
          angle.toFixed(1) + 'deg)"><path d="M-5,-5.5 L6,0 L-5,5.5 L-2,0 Z" fill="' + color +
          '" stroke="#fff" stroke-width="1.2" stroke-linejoin="round"/></svg>';
        L.marker(map.unproject(p, z), {
          icon: L.divIcon({ className: "fr-arrow", html: svg, iconSize: [16, 16],
                            iconAnchor: [8, 8] }),
          interactive: false, keyboard: false
        }).addTo(group);
        arrows++;
      }
    }
  }

  function legendControl(data, groups, map) {
    var ctl = L.control({ position: "bottomleft" });
    ctl.onAdd = function () {
      var box = FR.panel("fr-legend");
      box.appendChild(el("h3", null, data.labels.legend));
      box.appendChild(el("h4", null, data.labels.routes));
      data.routes.forEach(function (r, i) {
        var row = el("div", "fr-route-row", '<span class="fr-swatch" style="background:' +
          r.color + '"></span>' + r.legend);
        row.setAttribute("data-vehicle", r.vehicle);
        row.title = data.labels.toggle_hint;
        row.addEventListener("click", function () {
          if (map.hasLayer(groups[i])) { map.removeLayer(groups[i]); row.classList.add("off"); }
          else { map.addLayer(groups[i]); row.classList.remove("off"); }
        });
        box.appendChild(row);
      });
      box.appendChild(el("h4", null, data.labels.sites));
      data.legend_sites.forEach(function (item) {
        var icon = FR.siteIcon({ icon: item.icon, unserved: item.unserved }, data.labels);
        box.appendChild(el("div", "fr-site-row", '<span class="fr-icon">' + icon.options.html +
          "</span>" + item.label));
      });
      box.appendChild(el("div", "fr-note", data.labels.direction));
      if (data.roads.length) box.appendChild(el("div", "fr-note", data.labels.roads));
      data.road_warnings.forEach(function (w) {
        box.appendChild(el("div", "fr-note fr-warning", w));
      });
      if (!data.tiles) box.appendChild(el("div", "fr-note", data.labels.no_tiles));
      box.appendChild(el("div", "fr-note fr-datum", data.labels.datum));
      return box;
    };
    return ctl;
  }

  try {
    var data = JSON.parse(document.getElementById("plan-data").textContent);
    var map = FR.setupMap(data);
    var groups = [];
    legendControl(data, groups, map).addTo(map);

    // The road network, faint, under the routes (same datum as the sites: see map.py).
    data.roads.forEach(function (group) {
      L.polyline(group.lines, { color: "#8a939c", weight: group.major ? 2.4 : 1.2,
                                opacity: group.major ? 0.6 : 0.45, interactive: false,
                                className: "fr-road" }).addTo(map);
      roads += group.lines.length;
    });

    data.routes.forEach(function (r, i) {
      var group = groups[i] = L.featureGroup();
      r.lines.forEach(function (part) {
        L.polyline(part, { color: "#ffffff", weight: 7, opacity: 0.85, interactive: false })
          .addTo(group);
        L.polyline(part, { color: r.color, weight: 3.5, opacity: 0.95, className: "fr-route" })
          .bindPopup(r.popup, FR.popupOptions({ maxWidth: 420, minWidth: 240 })).addTo(group);
      });
      r.lines.forEach(function (part) { addArrows(map, group, part, r.color); });
      group.addTo(map);
      drawn++;
    });

    var markers = {};
    data.sites.forEach(function (s) {
      var marker = L.marker([s.lat, s.lon], { icon: FR.siteIcon(s, data.labels),
                                               zIndexOffset: s.icon === "hub" ||
                                                 s.icon === "centre" ? 1000 : 0 });
      marker.bindPopup(s.popup, FR.popupOptions({ maxWidth: 560, minWidth: 240, maxHeight: 360 }));
      // s.popup, s.tooltip and s.label are HTML, escaped once in map.py: no escaping here.
      var major = s.icon === "hub" || s.icon === "centre";
      if (data.label_villages && !major) {
        marker.bindTooltip(s.label, { permanent: true, direction: "right", offset: [10, 0],
                                      className: "fr-label" });
      } else {
        marker.bindTooltip(s.tooltip, { permanent: major, direction: "right", offset: [12, 0],
                                        className: "fr-tip" });
      }
      marker.addTo(map);
      markers[s.id] = marker;
    });

    // Deep links: map.html#site=V001 or #vehicle=van-1 opens that popup.
    var link = FR.hashParams();
    if (link.site && markers[link.site]) markers[link.site].openPopup();
    if (link.vehicle) {
      data.routes.forEach(function (r, i) {
        if (r.vehicle !== link.vehicle) return;
        var opened = false;
        groups[i].eachLayer(function (layer) {
          if (!opened && layer.getPopup && layer.getPopup()) {
            opened = true;
            layer.openPopup();
          }
        });
      });
    }
  } catch (e) {
    window.__errors.push(String(e && e.stack ? e.stack : e));
  } finally {
    FR.finish({ "routes-drawn": drawn, arrows: arrows, "roads-drawn": roads });
  }
})();
