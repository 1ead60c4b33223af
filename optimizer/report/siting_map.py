"""Siting map: collection-centre scenarios side by side on one offline page.

County planners compare "open a centre here, close that one". Each scenario is a layer
(a layer switcher picks one; the first is shown): the open centres, the candidate sites
it leaves closed (the batch's centres and the sites other scenarios open), each village
joined to its centre and coloured by whether its produce is inside the freshness radius,
and the freshness radius around each centre. A KPI panel puts the numbers of
``comparison_markdown`` side by side, the shown scenario highlighted.

The freshness radius is a travel-time limit (``scenario._radius_min``: the longest ride
that keeps an order's ``min_freshness``); per centre the map draws the tightest one among
the produce it takes. With straight-line (haversine) travel that time is a circle, drawn
exactly: ``(minutes - access) × speed / circuity``. With road or matrix travel a circle
would misstate it, so the map shades the convex hull of the centre and the villages whose
travel time to it is within the radius, and the legend says which.

The page machinery (Leaflet inlined, optional tiles, ``#render-status``) is
``optimizer.report.page``; kg, travel times and radii come from the same county, travel
matrix and radius as ``evaluate_scenario``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optimizer.errors import Said
from optimizer.geojson import batch_datum
from optimizer.i18n import normalize_lang, t
from optimizer.model import Batch, HaversineTravel, Order, Site
from optimizer.network import travel_matrices
from optimizer.report.data import PALETTE, product_label, site_label
from optimizer.report.page import bounds, common_labels, esc, leaflet_page, tiles_option
from optimizer.siting.scenario import (
    ScenarioResult,
    _radius_min,
    base_index,
    county_with_centres,
    decision_rows,
    routing_note,
)

# Centre colours: the route palette without its greens, oranges and reds, which the
# villages' freshness colours (inside, partial, outside) use.
_FRESHNESS_LIKE = {"#D55E00", "#009E73", "#E69F00", "#11A579", "#E73F74", "#80BA5A", "#F2B701"}
CENTRE_COLORS: tuple[str, ...] = tuple(c for c in PALETTE if c not in _FRESHNESS_LIKE)


def centre_color(index: int) -> str:
    """The colour of the ``index``-th candidate site (cycles through ``CENTRE_COLORS``)."""
    return CENTRE_COLORS[index % len(CENTRE_COLORS)]


def convex_hull(points: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    """Convex hull of (x, y) points, counter-clockwise (Andrew's monotone chain)."""
    pts = sorted(set(points))
    if len(pts) <= 2:
        return pts

    def cross(o: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list[tuple[float, float]] = []
    upper: list[tuple[float, float]] = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    return lower[:-1] + upper[:-1]


def circle_radius_m(travel: HaversineTravel, minutes: float) -> float:
    """Great-circle metres a haversine ride of ``minutes`` covers (inverse of its model)."""
    return max(0.0, minutes - travel.access_min) * travel.speed_kmh / 60.0 / travel.circuity * 1e3


def candidate_sites(batch: Batch, results: list[ScenarioResult]) -> list[str]:
    """The sites compared: the batch's centres, then every site some scenario opens."""
    ids = [s.id for s in batch.sites if s.kind == "collection_centre"]
    for r in results:
        ids += [s for s in r.open if s not in ids]
    return ids


@dataclass(frozen=True)
class Pickup:
    """A pickup in a scenario: its ride to the assigned centre against its radius."""

    order: Order
    minutes: float
    radius: float

    @property
    def inside(self) -> bool:
        """Inside the freshness radius, counted as ``static_measures`` counts it."""
        return self.minutes <= self.radius


class ScenarioView:
    """One scenario on the map: its county, travel matrix, pickups and centre names."""

    def __init__(self, batch: Batch, result: ScenarioResult, lang: str) -> None:
        self.batch, self.result, self.lang = batch, result, lang
        self.county = county_with_centres(batch, result.open)
        self.travel = travel_matrices(self.county)
        self.index = self.travel.index()
        self.centres = [s for s in self.county.sites if s.kind == "collection_centre"]
        # The county has one centre per open site, in the scenario's order.
        self.opened = {c.id: sid for c, sid in zip(self.centres, result.open, strict=True)}
        self.pickups: dict[str, list[Pickup]] = {}
        for o in self.county.orders:
            if o.kind == "pickup":
                minutes = self.minutes(o.site, str(o.centre))
                self.pickups.setdefault(o.site, []).append(
                    Pickup(o, minutes, _radius_min(self.county, o))
                )
        catchment = {site: str(group[0].order.centre) for site, group in self.pickups.items()}
        if catchment != result.catchment:
            raise ValueError(Said("siting.err.catchment_mismatch", name=result.name))

    def minutes(self, site: str, centre: str) -> float:
        return float(self.travel.minutes[self.index[site], self.index[centre]])

    def head(self, centre_id: str) -> str:
        """A centre's name: the existing centre's, or "new centre at <village>"."""
        site = self.batch.sites_by_id[self.opened[centre_id]]
        if site.kind == "collection_centre":
            return site_label(site)
        return t("siting.new_centre", self.lang, site=site_label(site))

    def radius_shape(self, centre: Site, radius: float) -> dict[str, Any] | None:
        """The area within ``radius`` minutes of ``centre``: a circle or a hull (see module)."""
        if isinstance(self.county.travel, HaversineTravel):
            return {"kind": "circle", "m": round(circle_radius_m(self.county.travel, radius), 1)}
        reach = [
            (s.lon, s.lat)
            for s in self.county.sites
            if s.kind == "station" and self.minutes(s.id, centre.id) <= radius
        ]
        hull = convex_hull([(centre.lon, centre.lat), *reach])
        return {"kind": "hull", "latlngs": [[lat, lon] for lon, lat in hull]} if hull else None

    def villages(self, colors: dict[str, str]) -> list[dict[str, Any]]:
        """Villages with produce: the link to their centre and their freshness status."""
        out = []
        for sid, group in self.pickups.items():
            site = self.county.sites_by_id[sid]
            centre = self.county.sites_by_id[str(group[0].order.centre)]
            minutes = self.minutes(sid, centre.id)
            total = sum(p.order.kg for p in group)
            inside = sum(p.order.kg for p in group if p.inside)
            status = "inside" if inside >= total else "outside" if inside <= 0 else "partial"
            link = t(
                "siting.link", self.lang, village=sid, centre=self.opened[centre.id], min=minutes
            )
            out.append(
                {
                    "id": sid,
                    "lat": site.lat,
                    "lon": site.lon,
                    "centre": [centre.lat, centre.lon],
                    "color": colors[self.opened[centre.id]],
                    "status": status,
                    "kg": total,
                    "kg_inside": inside,
                    "tooltip": esc(site_label(site)),
                    "link": esc(link),
                    "popup": self._village_popup(site, self.head(centre.id), minutes, group),
                }
            )
        return out

    def open_centres(self, colors: dict[str, str]) -> list[dict[str, Any]]:
        """Open centres with the produce they take and their freshness radius."""
        out = []
        for c in self.centres:
            served = [p for g in self.pickups.values() for p in g if p.order.centre == c.id]
            finite = [p for p in served if not math.isinf(p.radius)]
            tightest = min(finite, key=lambda p: p.radius) if finite else None
            out.append(
                {
                    "id": self.opened[c.id],
                    "lat": c.lat,
                    "lon": c.lon,
                    "color": colors[self.opened[c.id]],
                    "kg": sum(p.order.kg for p in served),
                    "radius_min": tightest.radius if tightest else None,
                    "radius": self.radius_shape(c, tightest.radius) if tightest else None,
                    "tooltip": esc(self.head(c.id)),
                    "popup": self._centre_popup(c, served, tightest),
                }
            )
        return out

    def closed(self, open_in: dict[str, list[str]]) -> list[dict[str, Any]]:
        """Candidate sites this scenario leaves closed, with the scenarios that open them."""
        out = []
        for sid, names in open_in.items():
            if sid in self.result.open:
                continue
            site = self.batch.sites_by_id[sid]
            lines = [t("siting.closed", self.lang)]
            if names:
                lines.append(t("siting.open_in", self.lang, names=", ".join(names)))
            popup = f"<h4>{esc(site_label(site))}</h4>" + "".join(
                f"<div>{esc(line)}</div>" for line in lines
            )
            out.append(
                {
                    "id": sid,
                    "lat": site.lat,
                    "lon": site.lon,
                    "tooltip": esc(site_label(site)),
                    "popup": popup,
                }
            )
        return out

    def layer(self, colors: dict[str, str], open_in: dict[str, list[str]]) -> dict[str, Any]:
        """Everything the page draws for this scenario."""
        return {
            "name": self.result.name,
            "centres": self.open_centres(colors),
            "closed": self.closed(open_in),
            "villages": self.villages(colors),
        }

    def _centre_popup(self, centre: Site, served: list[Pickup], tightest: Pickup | None) -> str:
        lang = self.lang
        out = [
            f"<h4>{esc(self.head(centre.id))}</h4>",
            f'<div class="muted">{esc(t("siting.open_centre", lang))}</div>',
        ]
        kg = sum(p.order.kg for p in served)
        if not kg:
            return "".join([*out, f"<div>{esc(t('siting.no_catchment', lang))}</div>"])
        mean = sum(p.order.kg * p.minutes for p in served) / kg
        inside = sum(p.order.kg for p in served if p.inside) / kg
        villages = len({p.order.site for p in served})
        lines = [
            t("siting.served", lang, kg=kg, n=villages),
            t("siting.access", lang, mean=mean, max=max(p.minutes for p in served)),
            t("siting.coverage", lang, share=f"{inside:.1%}"),
        ]
        if tightest is None:
            lines.append(t("siting.radius_none", lang))
        else:
            product = self.county.products_by_id[tightest.order.product]
            lines.append(
                t(
                    "siting.radius",
                    lang,
                    min=tightest.radius,
                    product=product_label(product, lang),
                    fresh=tightest.order.min_freshness,
                )
            )
        return "".join(out + [f"<div>{esc(line)}</div>" for line in lines])

    def _village_popup(self, site: Site, centre: str, minutes: float, group: list[Pickup]) -> str:
        lang = self.lang
        heads = ("rs.product", "rs.kg", "siting.radius_min", "siting.fresh")
        out = [
            f"<h4>{esc(site_label(site))}</h4>",
            f"<div>{esc(t('siting.centre_of', lang, centre=centre))}</div>",
            f"<div>{esc(t('siting.minutes', lang, min=minutes))}</div><table><tr>",
            "".join(f"<th>{esc(t(h, lang))}</th>" for h in heads) + "</tr>",
        ]
        for p in group:
            cells = [
                product_label(self.county.products_by_id[p.order.product], lang),
                f"{p.order.kg:,.1f}",
                "∞" if math.isinf(p.radius) else f"{p.radius:,.0f}",
            ]
            fresh = esc(t("siting.yes" if p.inside else "siting.no", lang))
            out.append(
                "<tr>"
                + "".join(f"<td>{esc(c)}</td>" for c in cells)
                + (f"<td>{fresh}</td>" if p.inside else f'<td class="late">{fresh}</td>')
                + "</tr>"
            )
        return "".join([*out, "</table>"])


def _kpi_html(results: list[ScenarioResult], lang: str) -> str:
    """Scenarios side by side: the decision table of ``comparison_markdown``, one column
    each, the base marked."""
    b = base_index(results)
    cells = [
        f'<th class="fr-s{i}">{esc(r.name)}'
        + (f" ({esc(t('siting.is_base', lang))})" if i == b else "")
        + "</th>"
        for i, r in enumerate(results)
    ]
    rows = [f"<h3>{esc(t('siting.kpis', lang))}</h3><table><tr><th></th>{''.join(cells)}</tr>"]
    for label, *values in decision_rows(results, lang):
        rows.append(
            f"<tr><td>{esc(label)}</td>"
            + "".join(f'<td class="fr-s{i}">{esc(v)}</td>' for i, v in enumerate(values))
            + "</tr>"
        )
    rows.append("</table>")
    rows.append(f'<div class="fr-note">{esc(routing_note(results, lang))}</div>')
    return "".join(rows)


def siting_map_data(
    batch: Batch,
    results: list[ScenarioResult],
    lang: str = "zh-CN",
    *,
    tiles_url: str | None = None,
    tiles_attribution: str = "",
) -> dict[str, Any]:
    """Everything the siting page draws, as JSON-ready data (popups as HTML strings)."""
    if not results:
        raise ValueError("a siting map needs at least one scenario")
    code = normalize_lang(lang)
    candidates = candidate_sites(batch, results)
    colors = {sid: centre_color(i) for i, sid in enumerate(candidates)}
    open_in = {sid: [r.name for r in results if sid in r.open] for sid in candidates}
    layers = [ScenarioView(batch, r, code).layer(colors, open_in) for r in results]
    # The layer switcher keys layers by label, so equal scenario names get a number.
    seen: dict[str, int] = {}
    for layer in layers:
        n = seen[layer["name"]] = seen.get(layer["name"], 0) + 1
        layer["label"] = esc(layer["name"] if n == 1 else f"{layer['name']} ({n})")
    served = {v["id"] for layer in layers for v in layer["villages"]}
    fixed = [
        {
            "id": s.id,
            "lat": s.lat,
            "lon": s.lon,
            "icon": "hub" if s.kind == "hub" else "idle",
            "tooltip": esc(site_label(s)),
            "popup": f"<h4>{esc(site_label(s))}</h4><div>"
            + esc(t("site.hub" if s.kind == "hub" else "siting.village_idle", code))
            + "</div>",
        }
        for s in batch.sites
        if s.kind == "hub" or (s.kind == "station" and s.id not in served)
    ]
    travel = batch.travel
    radius_note = (
        t(
            "siting.radius_circle",
            code,
            speed=travel.speed_kmh,
            circuity=travel.circuity,
            access=travel.access_min,
        )
        if isinstance(travel, HaversineTravel)
        else t("siting.radius_hull", code)
    )
    name = batch.name or "county"
    title = f"<h1>{esc(t('siting.title', code, name=name))}</h1>"
    if len(results) > 1:
        title += f"<div>{esc(t('siting.subtitle', code, n=len(results)))}</div>"
    return {
        "lang": code,
        "title_html": title,
        "kpi_html": _kpi_html(results, code),
        "bounds": bounds((s.lat, s.lon) for s in batch.sites),
        "scenarios": layers,
        "fixed": fixed,
        "tiles": tiles_option(tiles_url, tiles_attribution),
        "legend": {
            "sites": [
                {"icon": "hub", "label": esc(t("site.hub", code))},
                {"icon": "centre", "label": esc(t("siting.open_centre", code))},
                {"icon": "closed", "label": esc(t("siting.closed", code))},
            ],
            "villages": [
                {"status": s, "label": esc(t(f"siting.village_{s}", code))}
                for s in ("inside", "partial", "outside", "idle")
            ],
            "notes": [
                esc(t("siting.catchment_note", code)),
                esc(radius_note),
                esc(t(f"map.datum.{batch_datum(batch)}", code)),  # as on the route map
            ],
        },
        "labels": common_labels(code)
        | {key: t(f"siting.{key}", code) for key in ("sites", "notes", "no_tiles")},
    }


def render_siting_map(
    batch: Batch,
    results: list[ScenarioResult],
    lang: str = "zh-CN",
    tiles_url: str | None = None,
    *,
    tiles_attribution: str = "",
) -> str:
    """The siting map as one self-contained HTML page (no external requests without tiles).

    ``results`` are ``evaluate_scenario`` results for scenarios of this ``batch``;
    ``tiles_url`` is an optional Leaflet tile template, as for the route map.
    """
    code = normalize_lang(lang)
    data = siting_map_data(
        batch, results, code, tiles_url=tiles_url, tiles_attribution=tiles_attribution
    )
    return leaflet_page(
        lang=code,
        title=t("siting.title", code, name=batch.name or "county"),
        data=data,
        data_id="siting-data",
        script="siting_map.js",
        css="siting_map.css",
        status={"scenarios-expected": len(results)},
    )


def write_siting_map(
    batch: Batch,
    results: list[ScenarioResult],
    path: Path,
    lang: str = "zh-CN",
    tiles_url: str | None = None,
) -> Path:
    """Write ``render_siting_map`` to ``path``."""
    path = Path(path)
    path.write_text(render_siting_map(batch, results, lang, tiles_url), encoding="utf-8")
    return path
