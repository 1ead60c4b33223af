"""Route map: one self-contained HTML page (Leaflet inlined) for the coordinator.

Routes are coloured by vehicle with arrowheads along them; the hub, the collection
centres and the village stations (delivery, pickup, both) have their own symbols; popups
give orders, HH:MM times, loads and the shelf life left; a legend and a KPI panel (with the
separate-fleets baseline when the plan has one) sit on the map.

The page needs no network (``optimizer.report.page``: Leaflet and the scripts are inlined,
and the plan travels as JSON inside the page). Base
tiles are optional (``tiles_url``); without them the lines are drawn on a plain background
with a graticule and a scale bar. When drawing is done the page writes the number of
routes drawn and of script errors into ``#render-status`` for browser tests.

Line geometry comes from ``ROUTE_LINES``, by default the route lines of the plan GeoJSON
(``optimizer.geojson.plan_geojson``), so road geometry added there reaches the map as is.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from optimizer.errors import in_lang
from optimizer.geojson import batch_datum, plan_geojson
from optimizer.i18n import KPI_ROWS, format_kpi, format_share, normalize_lang, t
from optimizer.model import Batch, Site, format_clock
from optimizer.network import TravelMatrices
from optimizer.plan import OrderOutcome, Plan
from optimizer.reasons import outcome_text
from optimizer.report.data import (
    RunSheet,
    build_runsheets,
    compartment_text,
    product_label,
    site_label,
)
from optimizer.report.page import bounds, common_labels, leaflet_page, tiles_option
from optimizer.report.page import esc as _e
from optimizer.report.road_layer import road_layer

# Lines of each route, per vehicle id: a list of parts, each a list of (lon, lat).
RouteLines = dict[str, list[list[tuple[float, float]]]]
RouteLinesFn = Callable[[Batch, Plan], RouteLines]


def route_lines_from_geojson(batch: Batch, plan: Plan, geojson: dict | None = None) -> RouteLines:
    """Route geometry from the plan GeoJSON: LineString or MultiLineString per route.

    ``geojson`` is the plan's GeoJSON when already built (e.g. with road geometry);
    otherwise it is built here with straight legs.
    """
    lines: RouteLines = {}
    for feature in (geojson or plan_geojson(batch, plan))["features"]:
        props = feature.get("properties") or {}
        if props.get("kind") != "route":
            continue
        geom = feature["geometry"]
        if geom["type"] == "LineString":
            parts = [geom["coordinates"]]
        elif geom["type"] == "MultiLineString":
            parts = geom["coordinates"]
        else:
            continue
        lines[props["vehicle"]] = [[(float(x), float(y)) for x, y, *_ in p] for p in parts]
    return lines


# The hook: replace (or monkeypatch) to draw other geometry, e.g. roads from a provider.
ROUTE_LINES: RouteLinesFn = route_lines_from_geojson


def _windows(site: Site) -> str:
    return ", ".join(f"{format_clock(w.start)}-{format_clock(w.end)}" for w in site.time_windows)


def _site_icon(site: Site, batch: Batch) -> str:
    if site.kind == "hub":
        return "hub"
    if site.kind == "collection_centre":
        return "centre"
    # What trucks do there: unload (deliveries, transfers in) or load (pickups, transfers out).
    kinds = {
        ("pickup" if o.kind == "pickup" else "delivery") for o in batch.orders if o.site == site.id
    } | {"pickup" for o in batch.orders if o.origin == site.id}
    if kinds == {"delivery", "pickup"}:
        return "both"
    return next(iter(kinds)) if kinds else "none"


def _site_popup(
    site: Site,
    batch: Batch,
    outcomes: dict[str, OrderOutcome],
    visits: list[tuple[RunSheet, int]],
    lang: str,
) -> str:
    meta = [t(f"site.{site.kind}", lang)]
    if site.time_windows:
        meta.append(t("map.window", lang, windows=_windows(site)))
    if site.storage_temp_c is not None:
        meta.append(t("map.cold_room", lang, temp=site.storage_temp_c))
    if site.cutoff is not None:
        meta.append(t("map.cutoff", lang, time=format_clock(site.cutoff)))
    out = [f"<h4>{_e(site_label(site))}</h4>", f'<div class="muted">{_e(" · ".join(meta))}</div>']
    orders = [o for o in batch.orders if o.site == site.id]
    if orders:
        heads = (
            "rs.order",
            "rs.order_kind",
            "rs.product",
            "rs.kg",
            "map.served_by",
            "rs.arrival",
            "rs.remaining",
        )
        out.append(f"<div><b>{_e(t('map.orders_here', lang))}</b></div><table><tr>")
        out.append("".join(f"<th>{_e(t(h, lang))}</th>" for h in heads) + "</tr>")
        for o in orders:
            res = outcomes.get(o.id)
            product = product_label(batch.products_by_id[o.product], lang)
            cells = [o.id, t(f"order.{o.kind}", lang), product, f"{o.kg:,.1f}"]
            if res is None or not res.served:
                reason = outcome_text(res, lang) if res else ""
                out.append(
                    "<tr>"
                    + "".join(f"<td>{_e(c)}</td>" for c in cells)
                    + f'<td colspan="3" class="late">'
                    f"{_e(t('map.unserved_order', lang, reason=reason))}</td></tr>"
                )
                continue
            share = "" if res.remaining_share is None else f"{res.remaining_share:.1%}"
            late = res.remaining_share is not None and res.remaining_share < o.min_freshness
            arrival = "" if res.arrived_at is None else format_clock(res.arrived_at)
            out.append(
                "<tr>"
                + "".join(f"<td>{_e(c)}</td>" for c in [*cells, res.vehicle, arrival])
                + f"<td{' class=late' if late else ''}>{_e(share)}</td></tr>"
            )
        out.append("</table>")
    if visits:
        out.append(f"<div><b>{_e(t('map.visits', lang))}</b></div>")
    for sheet, index in visits:
        row = sheet.stops[index]
        head = t("map.visit", lang, vehicle=sheet.vehicle, seq=row.seq)
        times = t(
            "map.arrive_leave",
            lang,
            arrival=format_clock(row.arrival),
            departure=format_clock(row.departure),
        )
        lines = [f'<span style="color:{sheet.color}">■</span> <b>{_e(head)}</b>: {_e(times)}']
        for action in ("unload", "load"):
            ids = [a.order.id for a in row.actions if a.action == action]
            if ids:
                kg = sum(a.order.kg for a in row.actions if a.action == action)
                lines.append(
                    f"{_e(t(f'rs.{action}', lang))} ({len(ids)}, {kg:,.0f} "
                    f"{_e(t('unit.kg', lang))}): {_e(', '.join(ids))}"
                )
        lines.append(_e(t("map.on_board", lang, kg=row.kg_on_board, m3=row.m3_on_board)))
        out.append('<div class="visit">' + "<br>".join(lines) + "</div>")
    return "".join(out)


def _route_popup(sheet: RunSheet, batch: Batch, lang: str) -> str:
    route, vt = sheet.route, sheet.vehicle_type
    summary = t(
        "map.route_summary",
        lang,
        start=format_clock(route.stops[0].start),
        end=format_clock(route.stops[-1].departure),
        km=route.km,
        stops=len(route.stops),
        cost=route.cost.total,
    )
    path = " → ".join(s.site for s in route.stops)
    return (
        f'<h4><span style="color:{sheet.color}">■</span> {_e(route.vehicle)}</h4>'
        f"<div>{_e(vt.name or vt.id)} · {_e(compartment_text(vt, batch, lang))}</div>"
        f'<div>{_e(summary)}</div><div class="muted">{_e(path)}</div>'
    )


def _kpi_html(plan: Plan, lang: str) -> str:
    base = plan.baseline.kpis if plan.baseline else None
    rows = [
        f"<h3>{_e(t('map.kpis', lang))}</h3><table><tr><th></th>"
        f"<th>{_e(t('map.paired', lang))}</th>"
    ]
    if base is not None:
        rows.append(f"<th>{_e(t('map.baseline', lang))}</th>")
    rows.append("</tr>")
    for field, _ in KPI_ROWS:
        rows.append(
            f"<tr><td>{_e(t(f'kpi.{field}', lang))}</td>"
            f"<td>{_e(format_kpi(field, getattr(plan.kpis, field)))}</td>"
        )
        if base is not None:
            rows.append(f"<td>{_e(format_kpi(field, getattr(base, field)))}</td>")
        rows.append("</tr>")
    if plan.baseline is not None:
        for key, value in (
            ("kpi.cost_saving", plan.baseline.cost_saving_share),
            ("kpi.empty_km_saving", plan.baseline.empty_km_saving_share),
        ):
            cls = "fr-loss" if format_share(value).startswith("-") else "fr-saving"
            rows.append(
                f'<tr class="{cls}"><td>{_e(t(key, lang))}</td>'
                f'<td colspan="2">{format_share(value)}</td></tr>'
            )
    rows.append("</table>")
    return "".join(rows)


def map_data(
    batch: Batch,
    plan: Plan,
    lang: str = "zh-CN",
    *,
    tiles_url: str | None = None,
    tiles_attribution: str = "",
    route_lines: RouteLinesFn | None = None,
    travel: TravelMatrices | None = None,
) -> dict[str, Any]:
    """Everything the page's script draws, as JSON-ready data (popups, tooltips, legend
    and panels as HTML strings, every text in them escaped here).

    Sites, route lines and roads are all in the batch's datum (``batch_datum``: GCJ-02
    or WGS-84), which the legend names. With a road network (``travel.road``) its roads
    near the sites are a faint base layer, its warnings (dropped lines, guessed speeds,
    sites far from a road) are notes in the legend and the villages are labelled."""
    code = normalize_lang(lang)
    roads = road_layer(batch, travel)
    sheets = build_runsheets(batch, plan)
    lines_by_vehicle = (route_lines or ROUTE_LINES)(batch, plan)
    outcomes = {o.order: o for o in plan.orders}
    visits: dict[str, list[tuple[RunSheet, int]]] = {}
    for sheet in sheets:
        for i, row in enumerate(sheet.stops):
            visits.setdefault(row.site.id, []).append((sheet, i))
    unserved_sites = {
        batch.orders_by_id[o.order].site
        for o in plan.orders
        if not o.served and o.order in batch.orders_by_id
    }
    points: list[list[float]] = [[s.lat, s.lon] for s in batch.sites]
    routes = []
    for sheet in sheets:
        parts = lines_by_vehicle.get(sheet.vehicle) or [
            [(r.site.lon, r.site.lat) for r in sheet.stops]
        ]
        latlngs = [[[lat, lon] for lon, lat in part] for part in parts if len(part) >= 2]
        points += [p for part in latlngs for p in part]
        route = sheet.route
        legend = (
            f"{_e(route.vehicle)} · {format_clock(route.stops[0].start)}-"
            f"{format_clock(route.stops[-1].departure)} · {route.km:.1f} {_e(t('unit.km', code))}"
        )
        routes.append(
            {
                "vehicle": route.vehicle,
                "color": sheet.color,
                "lines": latlngs,
                "popup": _route_popup(sheet, batch, code),
                "legend": legend,
            }
        )
    sites = []
    for site in batch.sites:
        sites.append(
            {
                "id": site.id,
                "lat": site.lat,
                "lon": site.lon,
                "icon": _site_icon(site, batch),
                "unserved": site.id in unserved_sites,
                "tooltip": _e(site_label(site)),  # Leaflet inserts tooltips as HTML
                "label": _e(site.name or site.id),
                "popup": _site_popup(site, batch, outcomes, visits.get(site.id, []), code),
            }
        )
    present = {s["icon"] for s in sites}
    legend_sites = [
        {"icon": icon, "unserved": False, "label": _e(t(key, code))}
        for icon, key in (
            ("hub", "site.hub"),
            ("centre", "site.collection_centre"),
            ("delivery", "map.station_delivery"),
            ("pickup", "map.station_pickup"),
            ("both", "map.station_both"),
            ("none", "map.station_none"),
        )
        if icon in present
    ]
    if unserved_sites:
        legend_sites.append(
            {"icon": "none", "unserved": True, "label": _e(t("map.unserved", code))}
        )
    name = batch.name or plan.batch
    title = f"<h1>{_e(t('map.title', code, name=name))}</h1>"
    if plan.kpis.orders_unassigned:
        title += f"<div>{_e(t('map.unserved_count', code, n=plan.kpis.orders_unassigned))}</div>"
    return {
        "lang": code,
        "title_html": title,
        "kpi_html": _kpi_html(plan, code),
        "bounds": bounds((p[0], p[1]) for p in points),
        "routes": routes,
        "sites": sites,
        "legend_sites": legend_sites,
        "tiles": tiles_option(tiles_url, tiles_attribution),
        "datum": batch_datum(batch),
        "roads": roads,
        "road_warnings": [_e(in_lang(w, code)) for w in (travel.warnings if travel else [])],
        "label_villages": bool(roads),
        "labels": common_labels(code)
        | {key: t(f"map.{key}", code) for key in ("routes", "sites", "direction", "toggle_hint")}
        | {"datum": t(f"map.datum.{batch_datum(batch)}", code), "roads": t("map.roads", code)},
    }


def render_map(
    batch: Batch,
    plan: Plan,
    lang: str = "zh-CN",
    tiles_url: str | None = None,
    *,
    tiles_attribution: str = "",
    route_lines: RouteLinesFn | None = None,
    travel: TravelMatrices | None = None,
) -> str:
    """The route map as one self-contained HTML page (no external requests without tiles).

    ``tiles_url`` is a Leaflet tile template such as ``https://…/{z}/{x}/{y}.png``; leave
    it out for an offline page. ``route_lines`` overrides the ``ROUTE_LINES`` hook;
    ``travel`` with a road network adds the roads as a base layer.
    """
    code = normalize_lang(lang)
    data = map_data(
        batch,
        plan,
        code,
        tiles_url=tiles_url,
        tiles_attribution=tiles_attribution,
        route_lines=route_lines,
        travel=travel,
    )
    return leaflet_page(
        lang=code,
        title=t("map.title", code, name=batch.name or plan.batch),
        data=data,
        data_id="plan-data",
        script="map.js",
        status={"routes-drawn": 0, "routes-expected": len(plan.routes)},
    )


def write_map(
    batch: Batch,
    plan: Plan,
    path: Path,
    lang: str = "zh-CN",
    tiles_url: str | None = None,
    *,
    geojson: dict | None = None,
    travel: TravelMatrices | None = None,
) -> Path:
    """Write ``render_map`` to ``path``; route lines from ``geojson`` when given, roads
    from ``travel``."""
    path = Path(path)
    lines = None
    if geojson is not None:

        def lines(b: Batch, p: Plan) -> RouteLines:
            return route_lines_from_geojson(b, p, geojson)

    page = render_map(batch, plan, lang, tiles_url, route_lines=lines, travel=travel)
    path.write_text(page, encoding="utf-8")
    return path
