"""The route map page: self-contained, both languages, the ROUTE_LINES hook, and i18n."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from optimizer.i18n import (
    _EN,
    _ZH,
    KPI_ROWS,
    format_kpi,
    lang_from_accept_language,
    normalize_lang,
    t,
)
from optimizer.model import Batch
from optimizer.plan import KPIs, Plan
from optimizer.report import map as report_map
from optimizer.report.map import map_data, render_map, route_lines_from_geojson

FIX = Path(__file__).parent / "fixtures" / "import"


def _data(page: str) -> dict:
    match = re.search(r'<script type="application/json" id="plan-data">(.*?)</script>', page, re.S)
    assert match
    return json.loads(match[1])


def test_page_stands_alone(solved: tuple[Batch, Plan]) -> None:
    batch, plan = solved
    page = render_map(batch, plan, "zh-CN")
    assert "<script src" not in page and "<link" not in page
    assert not re.search(r"url\((?!#|\"?data:)", page)  # no CSS resource to fetch
    assert "Leaflet 1.9.4" in page and ".leaflet-container" in page  # vendored and inlined
    assert "sourceMappingURL" not in page
    assert 'id="render-status"' in page
    assert f'data-routes-expected="{len(plan.routes)}"' in page
    assert page.count("<script") == 4  # error hook, data, leaflet, ours


def test_both_languages(solved: tuple[Batch, Plan]) -> None:
    batch, plan = solved
    zh, en = render_map(batch, plan, "zh-CN"), render_map(batch, plan, "en")
    zh_data, en_data = _data(zh), _data(en)
    assert '<html lang="zh-CN">' in zh and '<html lang="en">' in en
    assert "县级枢纽" in zh_data["sites"][0]["popup"]
    assert "county hub" in en_data["sites"][0]["popup"]
    assert "主要指标" in zh_data["kpi_html"] and "Key figures" in en_data["kpi_html"]
    assert "空驶里程" in zh_data["kpi_html"] and "empty km" in en_data["kpi_html"]
    assert zh_data["labels"]["legend"] == "图例" and en_data["labels"]["legend"] == "Legend"
    assert "县级枢纽" not in en


def test_map_data(solved: tuple[Batch, Plan]) -> None:
    batch, plan = solved
    data = map_data(batch, plan, "en")
    assert [r["vehicle"] for r in data["routes"]] == [r.vehicle for r in plan.routes]
    assert len({r["color"] for r in data["routes"]}) == len(plan.routes)
    assert data["tiles"] is None
    icons = {s["id"]: s["icon"] for s in data["sites"]}
    assert icons["HUB"] == "hub" and icons["CC1"] == "centre"
    assert icons["V1"] == "both" and icons["V5"] == "pickup" and icons["V4"] == "delivery"
    unserved = {s["id"] for s in data["sites"] if s["unserved"]}
    assert unserved == {"V4"}
    v1 = next(s for s in data["sites"] if s["id"] == "V1")
    assert "P-V1" in v1["popup"] and "D-V1" in v1["popup"] and re.search(r"\d\d:\d\d", v1["popup"])
    assert "%" in v1["popup"]  # shelf life left on arrival
    assert plan.baseline is not None and "separate fleets" in data["kpi_html"]
    assert "cost saved by pairing" in data["kpi_html"]
    (south, west), (north, east) = data["bounds"]
    assert all(south <= s.lat <= north and west <= s.lon <= east for s in batch.sites)


def test_route_lines_default_and_hook(
    solved: tuple[Batch, Plan], monkeypatch: pytest.MonkeyPatch
) -> None:
    batch, plan = solved
    lines = route_lines_from_geojson(batch, plan)
    for route in plan.routes:
        sites = batch.sites_by_id
        assert lines[route.vehicle] == [
            [(sites[s.site].lon, sites[s.site].lat) for s in route.stops]
        ]

    def roads(b: Batch, p: Plan) -> dict[str, list[list[tuple[float, float]]]]:
        out = {}
        for vehicle, parts in route_lines_from_geojson(b, p).items():
            (x0, y0), (x1, y1) = parts[0][0], parts[0][1]
            bend = ((x0 + x1) / 2 + 0.01, (y0 + y1) / 2)
            out[vehicle] = [[parts[0][0], bend, *parts[0][1:]]]
        return out

    monkeypatch.setattr(report_map, "ROUTE_LINES", roads)
    data = map_data(batch, plan, "en")
    for r, route in zip(data["routes"], plan.routes, strict=True):
        assert len(r["lines"][0]) == len(route.stops) + 1
    explicit = map_data(batch, plan, "en", route_lines=lambda b, p: {})
    assert len(explicit["routes"][0]["lines"][0]) == len(plan.routes[0].stops)  # falls back


def test_tiles_are_optional(solved: tuple[Batch, Plan]) -> None:
    batch, plan = solved
    url = "https://tiles.example/{z}/{x}/{y}.png"
    data = _data(render_map(batch, plan, "en", tiles_url=url))
    assert data["tiles"] == {"url": url, "attribution": ""}


def test_catalogues_are_complete_and_format() -> None:
    assert set(_ZH) == set(_EN)
    for key, template in _EN.items():
        assert set(re.findall(r"{(\w+)", template)) == set(re.findall(r"{(\w+)", _ZH[key])), key
    for field, _ in KPI_ROWS:
        assert field in KPIs.model_fields and f"kpi.{field}" in _EN
    assert t("order.pickup", "zh-CN") == "揽收" and t("order.delivery", "zh") == "配送"
    assert t("site.collection_centre", "zh_CN") == "集货中心（产地仓）"
    assert t("kpi.empty_return_share", "zh-CN") == "回程空载率"
    assert t("vehicle.reefer", "zh-CN") == "冷藏车"
    assert t("cli.valid", "en", routes=3, served=10) == "valid: 3 routes, 10 orders served"
    assert t("no.such.key", "zh-CN") == "no.such.key"
    assert t("cli.valid", "en") == "valid: {routes} routes, {served} orders served"
    assert format_kpi("empty_return_share", 0.25) == "25%"
    assert format_kpi("freshness_min", None) == "-"


def test_language_negotiation() -> None:
    assert normalize_lang(None) == "zh-CN" and normalize_lang("zh-Hans") == "zh-CN"
    assert normalize_lang("EN_us") == "en" and normalize_lang("fr") == "en"
    assert lang_from_accept_language("en-US,en;q=0.9,zh-CN;q=0.8") == "en"
    assert lang_from_accept_language("zh-CN,zh;q=0.9,en;q=0.8") == "zh-CN"
    assert lang_from_accept_language("fr-FR, en;q=0.5") == "en"
    assert lang_from_accept_language("fr-FR") == "zh-CN"
    assert lang_from_accept_language("en;q=0, zh;q=0.1") == "zh-CN"
    assert lang_from_accept_language("") == "zh-CN"


def test_site_names_are_escaped_once_in_tooltips(solved: tuple[Batch, Plan]) -> None:
    """Leaflet inserts a tooltip string as HTML: a site's name must reach it escaped."""
    batch, plan = solved
    evil = "<img src=x onerror=alert(1)>"
    data = batch.model_dump(mode="json", by_alias=True)
    for site in data["sites"]:
        if site["id"] == "V1":
            site["name"] = evil
    page = render_map(Batch.model_validate(data), plan, "en")
    assert "<img src=x" not in page
    sites = {s["id"]: s for s in _data(page)["sites"]}
    assert sites["V1"]["tooltip"] == "&lt;img src=x onerror=alert(1)&gt; (V1)"  # not twice
    for site in sites.values():
        assert "<" not in site["tooltip"] and ">" not in site["tooltip"], site["tooltip"]
    assert "&lt;img src=x onerror=alert(1)&gt; (V1)" in sites["V1"]["popup"]
