"""Run sheets (XLSX, CSV, HTML), freshness deadlines, the timeline and write_reports."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from optimizer.freshness import remaining_share, used_minutes
from optimizer.i18n import t
from optimizer.model import Batch, format_clock
from optimizer.plan import Plan
from optimizer.report import REPORT_FILES, write_reports
from optimizer.report.data import build_runsheets, clock, freshness_deadline
from optimizer.report.runsheets import (
    COLUMNS,
    render_runsheets_html,
    write_runsheets_csv,
    write_runsheets_xlsx,
)
from optimizer.report.timeline import segments, timeline_png, timeline_svg

FIX = Path(__file__).parent / "fixtures" / "import"


def _header_row(ws: Worksheet, title: str) -> int:
    for row in ws.iter_rows(min_col=1, max_col=1):
        if row[0].value == title:
            return row[0].row
    raise AssertionError(f"no header row starting with {title!r}")


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_xlsx_round_trip(solved: tuple[Batch, Plan], tmp_path: Path, lang: str) -> None:
    batch, plan = solved
    path = write_runsheets_xlsx(batch, plan, tmp_path / "rs.xlsx", lang)
    wb = load_workbook(path)
    assert wb.sheetnames == [t("rs.summary", lang), *(r.vehicle for r in plan.routes)]
    keys = [k for k, _ in COLUMNS]
    for route in plan.routes:
        ws = wb[route.vehicle]
        head = _header_row(ws, t("rs.stop", lang))
        assert [c.value for c in ws[head]] == [t(k, lang) for _, k in COLUMNS]
        records = [
            dict(zip(keys, (c.value for c in row), strict=True))
            for row in ws.iter_rows(min_row=head + 1)
        ]
        assert sorted({r["stop"] for r in records}) == list(range(1, len(route.stops) + 1))
        vt = batch.fleet_by_id[route.vehicle_type]
        expected_c = vt.compartment_temp_c if vt.refrigerated else batch.options.ambient_temp_c
        for stop_no, stop in enumerate(route.stops, start=1):
            rows = [r for r in records if r["stop"] == stop_no]
            assert {r["site_id"] for r in rows} == {stop.site}
            assert {r["arrival"] for r in rows} == {format_clock(stop.arrival)}
            assert {r["departure"] for r in rows} == {format_clock(stop.departure)}
            assert {r["compartment_c"] for r in rows} == {expected_c}
            loads = {r["order"]: r for r in rows if r["action"] == t("rs.load", lang)}
            unloads = {r["order"]: r for r in rows if r["action"] == t("rs.unload", lang)}
            assert set(loads) == set(stop.load) and set(unloads) == set(stop.unload)
            for oid, r in {**loads, **unloads}.items():
                assert r["kg"] == pytest.approx(batch.orders_by_id[oid].kg)
                assert r["m3"] == pytest.approx(batch.orders_by_id[oid].m3)
            assert rows[-1]["kg_on_board"] == pytest.approx(stop.kg_on_board, abs=0.05)
    outcomes = {o.order: o for o in plan.orders}
    share_cells = [
        (row[keys.index("order")].value, row[keys.index("remaining")].value)
        for ws in wb.worksheets[1:]
        for row in ws.iter_rows(min_row=_header_row(ws, t("rs.stop", lang)) + 1)
        if row[keys.index("remaining")].value is not None
    ]
    assert share_cells
    for oid, share in share_cells:
        assert share == pytest.approx(outcomes[oid].remaining_share, abs=1e-4)
    summary = "\n".join(str(c.value) for row in wb.worksheets[0].iter_rows() for c in row)
    assert "D-skip" in summary and t("rs.unserved", lang) in summary


def test_csv_has_every_stop_of_every_vehicle(solved: tuple[Batch, Plan], tmp_path: Path) -> None:
    batch, plan = solved
    path = write_runsheets_csv(batch, plan, tmp_path / "rs.csv", "zh-CN")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel opens it as UTF-8
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:4] == ["车辆", "车型", "站序", "站点编号"]
    for route in plan.routes:
        mine = [r for r in rows[1:] if r[0] == route.vehicle]
        assert len({r[2] for r in mine}) == len(route.stops)
    shares = [r[2 + [k for k, _ in COLUMNS].index("remaining")] for r in rows[1:]]
    assert any(re.fullmatch(r"\d+\.\d%", s) for s in shares)


def test_freshness_deadline_is_where_min_freshness_is_used_up(solved: tuple[Batch, Plan]) -> None:
    batch, plan = solved
    outcomes = {o.order: o for o in plan.orders}
    checked = 0
    for sheet in build_runsheets(batch, plan):
        for row in sheet.stops:
            for a in row.actions:
                if a.action != "load" or a.deadline is None:
                    continue
                order, vt = a.order, sheet.vehicle_type
                used = used_minutes(order, batch, vt, row.departure, a.deadline)
                share = remaining_share(order, batch, used)
                assert share == pytest.approx(order.min_freshness, abs=1e-9)
                outcome = outcomes[order.id]
                arrived_in_time = outcome.arrived_at <= a.deadline + 1e-6
                assert arrived_in_time == (outcome.remaining_share >= order.min_freshness - 1e-9)
                assert arrived_in_time  # the plan is valid
                checked += 1
    assert checked >= 4
    parcels = batch.orders_by_id["D-V1"]
    assert freshness_deadline(parcels, batch, batch.fleet[0], 400) is None  # not perishable


def test_clock_labels_later_days() -> None:
    assert clock(None, "en") == ""
    assert clock(605, "en") == "10:05"
    assert clock(1440 * 2 + 90, "en") == "+2d 01:30"
    assert clock(1440 + 90, "zh-CN") == "+1天 01:30"


def test_html_in_both_languages(solved: tuple[Batch, Plan]) -> None:
    batch, plan = solved
    zh = render_runsheets_html(batch, plan, "zh-CN")
    en = render_runsheets_html(batch, plan, "en", timeline=False)
    for route in plan.routes:
        assert f'data-vehicle="{route.vehicle}"' in zh
        assert zh.count(f'data-vehicle="{route.vehicle}"') == 1
    assert '<html lang="zh-CN">' in zh and "司机签字" in zh and "卸货" in zh and "冷藏" in zh
    assert "Driver signature" in en and "unload" in en and "司机签字" not in en
    assert zh.count("data:image/png;base64,") == len(plan.routes) + 1
    assert "data:image/png" not in en
    assert "D-skip" in zh  # the unserved-orders table
    assert not re.search(r"(src|href)=\"(https?:)?//", zh)  # stands alone


def test_timeline(solved: tuple[Batch, Plan]) -> None:
    batch, plan = solved
    for route in plan.routes:
        parts = segments(route)
        total = sum(length for kind in parts.values() for _, length in kind)
        span = route.stops[-1].departure - route.stops[0].arrival
        assert total == pytest.approx(span, abs=1e-6)
    png = timeline_png(batch, plan, "zh-CN")
    assert png.startswith(b"\x89PNG") and len(png) > 5000
    one = timeline_png(batch, plan, "en", vehicles=[plan.routes[0].vehicle])
    assert one.startswith(b"\x89PNG")
    assert timeline_svg(batch, plan, "en").startswith("<svg")


def test_write_reports(solved: tuple[Batch, Plan], tmp_path: Path) -> None:
    batch, plan = solved
    paths = write_reports(batch, plan, tmp_path / "reports", "en")
    assert [p.name for p in paths] == list(REPORT_FILES)
    assert all(p.stat().st_size > 1000 for p in paths)
