/* freshroute route map: draws the plan embedded in #plan-data with Leaflet (inlined).
 * Works offline: base tiles are optional; without them the page shows a plain background,
 * a light graticule and a scale bar. When done it writes what it drew into #render-status
 * (data-routes-drawn, data-errors, data-status) so a headless browser test can read it.
 */
(function () {
  "use strict";
  var status = document.getElementById("render-status");
  var drawn = 0;
  var arrows = 0;

  function el(tag, cls, html) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (html !== undefined) node.innerHTML = html;
    return node;
  }

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

  function siteIcon(site, labels) {
    var size = 16, body;
    switch (site.icon) {
      case "hub":
        size = 26;
        body = '<rect x="1" y="1" width="24" height="24" rx="3" fill="#1b1b1b"/>' +
          '<text x="13" y="18" text-anchor="middle" font-size="14" fill="#fff">' +
          labels.hub_letter + "</text>";
        break;
      case "centre":
        size = 28;
        body = '<path d="M14 1 L27 14 L14 27 L1 14 Z" fill="#12355b" stroke="#fff" ' +
          'stroke-width="1.5"/><text x="14" y="19" text-anchor="middle" font-size="13" ' +
          'fill="#fff">' + labels.centre_letter + "</text>";
        break;
      case "delivery":
        body = '<path d="M2 3 L14 3 L8 14 Z" fill="#fff" stroke="#222" stroke-width="1.8" ' +
          'stroke-linejoin="round"/>';
        break;
      case "pickup":
        body = '<path d="M8 2 L14 13 L2 13 Z" fill="#2e7d32" stroke="#fff" stroke-width="1.2" ' +
          'stroke-linejoin="round"/>';
        break;
      case "both":
        body = '<path d="M2 8 A6 6 0 0 1 14 8 Z" fill="#2e7d32"/>' +
          '<path d="M2 8 A6 6 0 0 0 14 8 Z" fill="#fff"/>' +
          '<circle cx="8" cy="8" r="6" fill="none" stroke="#222" stroke-width="1.6"/>';
        break;
      default:
        size = 10;
        body = '<circle cx="5" cy="5" r="3.5" fill="#9e9e9e" stroke="#fff" stroke-width="1"/>';
    }
    if (site.unserved) {
      var c = size / 2;
      body += '<circle cx="' + c + '" cy="' + c + '" r="' + (c - 1) + '" fill="none" ' +
        'stroke="#d50000" stroke-width="2" stroke-dasharray="3 2"/>';
    }
    var svg = '<svg width="' + size + '" height="' + size + '" viewBox="0 0 ' + size + " " +
      size + '">' + body + "</svg>";
    return L.divIcon({ className: "fr-site fr-" + site.icon, html: svg, iconSize: [size, size],
                       iconAnchor: [size / 2, size / 2], popupAnchor: [0, -size / 2] });
  }

  function graticule(map, bounds) {
    var span = Math.max(bounds.getEast() - bounds.getWest(), bounds.getNorth() - bounds.getSouth());
    var steps = [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10];
    var step = steps[steps.length - 1];
    for (var i = 0; i < steps.length; i++) { if (span / steps[i] <= 10) { step = steps[i]; break; } }
    var pad = bounds.pad(1.5);
    var group = L.layerGroup();
    var style = { color: "#b9c3cc", weight: 0.8, opacity: 0.8, interactive: false, dashArray: "2 4" };
    for (var x = Math.floor(pad.getWest() / step) * step; x <= pad.getEast(); x += step) {
      L.polyline([[pad.getSouth(), x], [pad.getNorth(), x]], style).addTo(group);
    }
    for (var y = Math.floor(pad.getSouth() / step) * step; y <= pad.getNorth(); y += step) {
      L.polyline([[y, pad.getWest()], [y, pad.getEast()]], style).addTo(group);
    }
    group.addTo(map);
  }

  function legendControl(data, groups, map) {
    var ctl = L.control({ position: "bottomleft" });
    ctl.onAdd = function () {
      var box = el("div", "fr-panel fr-legend");
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
        var icon = siteIcon({ icon: item.icon, unserved: item.unserved }, data.labels);
        box.appendChild(el("div", "fr-site-row", '<span class="fr-icon">' + icon.options.html +
          "</span>" + item.label));
      });
      box.appendChild(el("div", "fr-note", data.labels.direction));
      if (!data.tiles) box.appendChild(el("div", "fr-note", data.labels.no_tiles));
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      return box;
    };
    return ctl;
  }

  // Popups pan clear of the title (top left) and the KPI panel (top right).
  function popupOptions(extra) {
    var opts = { autoPanPaddingTopLeft: L.point(20, 130), autoPanPaddingBottomRight: L.point(20, 20) };
    for (var key in extra) opts[key] = extra[key];
    return opts;
  }

  function htmlControl(position, cls, html) {
    var ctl = L.control({ position: position });
    ctl.onAdd = function () {
      var box = el("div", "fr-panel " + cls, html);
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      return box;
    };
    return ctl;
  }

  try {
    var data = JSON.parse(document.getElementById("plan-data").textContent);
    var map = L.map("map", { zoomSnap: 0.25, minZoom: 3, maxZoom: 19 });
    if (data.tiles) {
      L.tileLayer(data.tiles.url, { attribution: data.tiles.attribution, maxZoom: 19 }).addTo(map);
    } else {
      document.getElementById("map").classList.add("fr-no-tiles");
    }
    map.attributionControl.setPrefix(data.labels.attribution_prefix);
    var groups = [];
    // Panels first, so the view can leave room for the KPI panel on the right.
    htmlControl("topleft", "fr-title", data.title_html).addTo(map);
    var kpis = htmlControl("topright", "fr-kpis", data.kpi_html);
    kpis.addTo(map);
    legendControl(data, groups, map).addTo(map);
    L.control.scale({ metric: true, imperial: false, position: "bottomright" }).addTo(map);
    var size = map.getSize();
    var right = kpis.getContainer().offsetWidth;
    right = right < size.x * 0.4 ? right + 20 : 40;
    var bounds = L.latLngBounds(data.bounds);
    map.fitBounds(bounds, { paddingTopLeft: [40, 50], paddingBottomRight: [right, 30] });
    if (!data.tiles) graticule(map, bounds);

    data.routes.forEach(function (r, i) {
      var group = groups[i] = L.featureGroup();
      r.lines.forEach(function (part) {
        L.polyline(part, { color: "#ffffff", weight: 7, opacity: 0.85, interactive: false })
          .addTo(group);
        L.polyline(part, { color: r.color, weight: 3.5, opacity: 0.95, className: "fr-route" })
          .bindPopup(r.popup, popupOptions({ maxWidth: 420, minWidth: 240 })).addTo(group);
      });
      r.lines.forEach(function (part) { addArrows(map, group, part, r.color); });
      group.addTo(map);
      drawn++;
    });

    var markers = {};
    data.sites.forEach(function (s) {
      var marker = L.marker([s.lat, s.lon], { icon: siteIcon(s, data.labels),
                                               zIndexOffset: s.icon === "hub" ||
                                                 s.icon === "centre" ? 1000 : 0 });
      marker.bindPopup(s.popup, popupOptions({ maxWidth: 560, minWidth: 240, maxHeight: 360 }));
      marker.bindTooltip(s.tooltip, { permanent: s.icon === "hub" || s.icon === "centre",
                                      direction: "right", offset: [12, 0],
                                      className: "fr-tip" });
      marker.addTo(map);
      markers[s.id] = marker;
    });

    // Panels sit above popups (Leaflet's stacking), so fade them while a popup is open.
    map.on("popupopen", function () { document.body.classList.add("fr-popup-open"); });
    map.on("popupclose", function () { document.body.classList.remove("fr-popup-open"); });

    // Deep links: map.html#site=V001 or #vehicle=van-1 opens that popup.
    var hash = decodeURIComponent(window.location.hash.slice(1));
    var m = /^(site|vehicle)=(.+)$/.exec(hash);
    if (m && m[1] === "site" && markers[m[2]]) markers[m[2]].openPopup();
    if (m && m[1] === "vehicle") {
      data.routes.forEach(function (r, i) {
        if (r.vehicle !== m[2]) return;
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
    status.setAttribute("data-routes-drawn", String(drawn));
    status.setAttribute("data-arrows", String(arrows));
    status.setAttribute("data-errors", String(window.__errors.length));
    status.setAttribute("data-status", window.__errors.length ? "error" : "ok");
    status.textContent = window.__errors.join("\n");
  }
})();
