/* freshroute map pages (route map, siting map): what both page scripts share.
 * The map set-up (optional tiles, else a plain background with a graticule), the title and
 * KPI panels, site icons, popup options, and the #render-status report for browser tests.
 */
var FR = (function () {
  "use strict";

  function el(tag, cls, html) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (html !== undefined) node.innerHTML = html;
    return node;
  }

  // A panel that keeps clicks and scrolling to itself.
  function panel(cls, html) {
    var box = el("div", "fr-panel " + cls, html);
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    return box;
  }

  function htmlControl(position, cls, html) {
    var ctl = L.control({ position: position });
    ctl.onAdd = function () { return panel(cls, html); };
    return ctl;
  }

  // Popups pan clear of the title (top left) and the KPI panel (top right).
  function popupOptions(extra) {
    var opts = { autoPanPaddingTopLeft: L.point(20, 130), autoPanPaddingBottomRight: L.point(20, 20) };
    for (var key in extra) opts[key] = extra[key];
    return opts;
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

  // Site symbols as inline SVG: hub, centre (optionally in a colour), closed centre, and
  // village stations by their orders; a dashed red ring marks unserved orders.
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
        body = '<path d="M14 1 L27 14 L14 27 L1 14 Z" fill="' + (site.color || "#12355b") +
          '" stroke="#fff" stroke-width="1.5"/><text x="14" y="19" text-anchor="middle" ' +
          'font-size="13" fill="#fff">' + labels.centre_letter + "</text>";
        break;
      case "closed":
        size = 22;
        body = '<path d="M11 1.5 L20.5 11 L11 20.5 L1.5 11 Z" fill="#fff" stroke="#757575" ' +
          'stroke-width="1.6" stroke-dasharray="3 2"/><path d="M7.5 7.5 L14.5 14.5 M14.5 7.5 ' +
          'L7.5 14.5" stroke="#757575" stroke-width="1.8"/>';
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

  // The map with tiles or a plain background, the title and KPI panels, a scale bar, and
  // the view fitted to data.bounds clear of the KPI panel. Returns the Leaflet map.
  function setupMap(data) {
    var map = L.map("map", { zoomSnap: 0.25, minZoom: 3, maxZoom: 19 });
    if (data.tiles) {
      L.tileLayer(data.tiles.url, { attribution: data.tiles.attribution, maxZoom: 19 }).addTo(map);
    } else {
      document.getElementById("map").classList.add("fr-no-tiles");
    }
    map.attributionControl.setPrefix(data.labels.attribution_prefix);
    htmlControl("topleft", "fr-title", data.title_html).addTo(map);
    var kpis = htmlControl("topright", "fr-kpis", data.kpi_html);
    kpis.addTo(map);
    L.control.scale({ metric: true, imperial: false, position: "bottomright" }).addTo(map);
    var size = map.getSize();
    var right = kpis.getContainer().offsetWidth;
    right = right < size.x * 0.4 ? right + 20 : 40;
    var bounds = L.latLngBounds(data.bounds);
    map.fitBounds(bounds, { paddingTopLeft: [40, 50], paddingBottomRight: [right, 30] });
    if (!data.tiles) graticule(map, bounds);
    // Panels sit above popups (Leaflet's stacking), so fade them while a popup is open.
    map.on("popupopen", function () { document.body.classList.add("fr-popup-open"); });
    map.on("popupclose", function () { document.body.classList.remove("fr-popup-open"); });
    return map;
  }

  // The deep link after '#' as {key: value}, e.g. #site=V001 or #scenario=2.
  function hashParams() {
    var out = {};
    var m = /^([a-z]+)=(.+)$/.exec(decodeURIComponent(window.location.hash.slice(1)));
    if (m) out[m[1]] = m[2];
    return out;
  }

  // Writes what was drawn (counts as data-* attributes) and the script errors.
  function finish(counts) {
    var status = document.getElementById("render-status");
    for (var key in counts) status.setAttribute("data-" + key, String(counts[key]));
    status.setAttribute("data-errors", String(window.__errors.length));
    status.setAttribute("data-status", window.__errors.length ? "error" : "ok");
    status.textContent = window.__errors.join("\n");
  }

  return { el: el, panel: panel, popupOptions: popupOptions, siteIcon: siteIcon,
           setupMap: setupMap, hashParams: hashParams, finish: finish };
})();
