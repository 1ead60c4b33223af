"""Run sheets (XLSX, CSV, HTML), freshness deadlines, the timeline and write_reports."""

from __future__ import annotations

import csv
import datetime as dt
import itertools
import re
import zlib
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.cell.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet

from optimizer.freshness import remaining_share, used_minutes
from optimizer.i18n import t
from optimizer.io.spreadsheet import import_batch
from optimizer.model import Batch, with_orders
from optimizer.plan import Plan, Route, Stop
from optimizer.report import PDF_FILE, REPORT_FILES, write_reports
from optimizer.report.data import build_runsheets, clock, freshness_deadline
from optimizer.report.runsheets import (
    COLUMNS,
    STOP_COLUMNS,
    TIME_KEYS,
    driver_visits,
    pdf_available,
    render_runsheets_html,
    stop_records,
    write_runsheets_csv,
    write_runsheets_pdf,
    write_runsheets_xlsx,
)
from optimizer.report.timeline import segments, timeline_png, timeline_svg
from optimizer.routing.solve import plan_batch

FIX = Path(__file__).parent / "fixtures" / "import"


def _header_row(ws: Worksheet, title: str) -> int:
    for row in ws.iter_rows(min_col=1, max_col=1):
        if row[0].value == title:
            return row[0].row
    raise AssertionError(f"no header row starting with {title!r}")


def _runs(route: Route) -> list[list[Stop]]:
    """The route's stops, consecutive stops at one site grouped: a driver's stops."""
    runs: list[list[Stop]] = []
    for stop in route.stops:
        if runs and runs[-1][-1].site == stop.site:
            runs[-1].append(stop)
        else:
            runs.append([stop])
    return runs


def _stop_table(ws: Worksheet, lang: str) -> list[dict[str, Cell]]:
    head = _header_row(ws, t("rs.stop", lang))
    assert [c.value for c in ws[head]] == [t(k, lang) for _, k in STOP_COLUMNS]
    keys = [k for k, _ in STOP_COLUMNS]
    return [dict(zip(keys, row, strict=True)) for row in ws.iter_rows(min_row=head + 1)]


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_xlsx_one_row_per_stop_with_excel_times(
    solved: tuple[Batch, Plan], tmp_path: Path, lang: str
) -> None:
    batch, plan = solved
    path = write_runsheets_xlsx(batch, plan, tmp_path / "rs.xlsx", lang)
    wb = load_workbook(path)
    assert wb.sheetnames == [t("rs.summary", lang), *(r.vehicle for r in plan.routes)]
    for route in plan.routes:
        rows = _stop_table(wb[route.vehicle], lang)
        runs = _runs(route)
        assert len(rows) == len(runs)  # one row per stop, not per order
        assert [r["stop"].value for r in rows] == list(range(1, len(runs) + 1))
        for row, run in zip(rows, runs, strict=True):
            assert row["site_id"].value == run[0].site
            for key in TIME_KEYS:  # real Excel times: a fraction of a day, shown hh:mm
                assert isinstance(row[key].value, float | dt.time | dt.datetime), key
                assert row[key].number_format == "hh:mm"
            # to the minute, as the HTML shows it (Excel's hh:mm does not round)
            assert _minutes(row["start"].value) == round(run[0].start)
            assert _minutes(row["leave"].value) >= round(run[-1].departure)
            text = f"{row['unload'].value or ''}\n{row['load'].value or ''}"
            ids = [oid for s in run for oid in (*s.unload, *s.load)]
            assert sorted(re.findall(r"[DP]-V\d|D-skip", text)) == sorted(ids)
            unloaded = sum(batch.orders_by_id[o].kg for s in run for o in s.unload)
            assert (row["kg_unload"].value or 0) == pytest.approx(unloaded, abs=0.05)
            assert row["kg_on_board"].value == pytest.approx(run[-1].kg_on_board, abs=0.05)
        sites = [r["site_id"].value for r in rows]
        assert all(a != b for a, b in itertools.pairwise(sites))
    summary = "\n".join(str(c.value) for row in wb.worksheets[0].iter_rows() for c in row)
    assert "D-skip" in summary and t("rs.unserved", lang) in summary


def _minutes(value: object) -> float:
    if isinstance(value, dt.datetime):
        value = value.time()
    if isinstance(value, dt.time):
        return value.hour * 60 + value.minute + round(value.second / 60, 6)
    assert isinstance(value, float)
    return round(value * 1440, 6)


def test_a_two_order_visit_is_one_stop_unload_first(tmp_path: Path) -> None:
    """Parcels and produce at one station: the plan has a stop per order, the driver one."""
    batch = import_batch(FIX / "orders_en.csv", FIX / "sites_en.csv")
    batch = with_orders(batch, [o for o in batch.orders if o.site == "V3"])
    plan = plan_batch(batch, time_limit_s=1, baseline=False)
    (route,) = plan.routes
    runs = _runs(route)
    (pair,) = [r for r in runs if len(r) == 2]  # the engines' representation (plan.py)
    assert {oid for s in pair for oid in (*s.unload, *s.load)} == {"D-V3", "P-V3"}
    (sheet,) = build_runsheets(batch, plan)
    visits = driver_visits(sheet)
    (visit,) = [v for v in visits if v.site.id == "V3"]
    assert [(a.action, a.order.id) for a in visit.actions] == [
        ("unload", "D-V3"), ("load", "P-V3")]
    assert (visit.start, visit.done) == (pair[0].start, pair[-1].departure)
    page = render_runsheets_html(batch, plan, "zh-CN", timeline=False)
    assert page.count("<tr data-stop=") == len(visits) == len(route.stops) - 1
    row = page.split(f'<tr data-stop="{visit.seq}">')[1].split("</tr>")[0]
    assert row.count(">D-V3<") == row.count(">P-V3<") == 1
    assert row.index("D-V3") < row.index("P-V3")  # unload column before load column
    wb = load_workbook(write_runsheets_xlsx(batch, plan, tmp_path / "rs.xlsx", "en"))
    rows = _stop_table(wb[route.vehicle], "en")
    assert [r["site_id"].value for r in rows].count("V3") == 1


def test_no_arrival_before_work_can_start(tmp_path: Path) -> None:
    """Where the plan waits for a site to open, the driver leaves the previous stop later
    and arrives when work starts; every service start stays the plan's."""
    batch = import_batch(FIX / "orders_en.csv", FIX / "sites_en.csv")
    data = batch.model_dump(by_alias=True)
    for site in data["sites"]:
        if site["id"] == "V1":
            site["time_windows"] = [{"start": 360, "end": 375}]  # 06:00-06:15
        if site["id"] == "V3":
            site["time_windows"] = [{"start": 480, "end": 540}]  # 08:00-09:00
    data["orders"] = [o for o in data["orders"] if o["id"] in ("P-V1", "P-V3")]
    # Without rest rules: a wait that is a driver's rest stays where it is.
    data["fleet"] = [{**data["fleet"][0], "count": 1, "rest_rules": None}]
    batch = Batch.model_validate(data)
    plan = plan_batch(batch, time_limit_s=1, baseline=False)
    assert plan.kpis.orders_unassigned == 0
    (sheet,) = build_runsheets(batch, plan)
    visits = driver_visits(sheet)
    plan_waits = [row.wait_min for row in sheet.stops]
    assert max(plan_waits) >= 30  # the plan arrives at V3 long before 08:00
    for prev, visit in itertools.pairwise(visits):
        wait = visit.rows[0].wait_min
        assert visit.arrive == pytest.approx(visit.start)  # no arrival before work starts
        assert visit.start == pytest.approx(visit.rows[0].start)  # the plan's start
        assert prev.leave == pytest.approx(prev.done + wait)  # leave later by the wait
    v3 = next(v for v in visits if v.site.id == "V3")
    assert v3.arrive == pytest.approx(480)
    records = stop_records(sheet, "zh-CN")
    before = records[v3.seq - 2]
    assert "不必提前等候" in before["note"] and "08:00" in before["note"]


def test_phone_and_notes_reach_the_run_sheets(
    solved: tuple[Batch, Plan], tmp_path: Path
) -> None:
    batch, plan = solved
    assert batch.sites_by_id["V1"].phone == "139" and batch.orders_by_id["D-V4"].note
    wb = load_workbook(write_runsheets_xlsx(batch, plan, tmp_path / "rs.xlsx", "zh-CN"))
    rows = [r for ws in wb.worksheets[1:] for r in _stop_table(ws, "zh-CN")]
    v1 = [r for r in rows if r["site_id"].value == "V1"]
    assert v1 and all(r["phone"].value == "139" for r in v1)
    v4 = [r for r in rows if r["site_id"].value == "V4" and "D-V4" in str(r["unload"].value)]
    assert len(v4) == 1 and "D-V4: 可不送" in v4[0]["note"].value
    page = render_runsheets_html(batch, plan, "zh-CN", timeline=False)
    assert "<th>电话</th>" in page and "<th>备注</th>" in page
    assert "D-V4: 可不送" in page and ">139<" in page
    path = write_runsheets_csv(batch, plan, tmp_path / "rs.csv", "en")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        flat = list(csv.DictReader(fh))
    assert {r["notes"] for r in flat if r["order"] == "D-V4"} == {"可不送"}
    assert {r["phone"] for r in flat if r["site id"] == "V1"} == {"139"}


def test_csv_has_every_stop_of_every_vehicle(solved: tuple[Batch, Plan], tmp_path: Path) -> None:
    batch, plan = solved
    path = write_runsheets_csv(batch, plan, tmp_path / "rs.csv", "zh-CN")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: Excel opens it as UTF-8
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:4] == ["车辆", "车型", "站序", "站点编号"]
    for route in plan.routes:
        mine = [r for r in rows[1:] if r[0] == route.vehicle]
        assert len({r[2] for r in mine}) == len(_runs(route))
        ids = [r[2 + [k for k, _ in COLUMNS].index("order")] for r in mine]
        assert sorted(i for i in ids if i) == sorted(
            oid for s in route.stops for oid in (*s.unload, *s.load)
        )
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
    pdf = [PDF_FILE] if pdf_available() else []
    assert [p.name for p in paths] == [*REPORT_FILES, *pdf]
    assert all(p.stat().st_size > 1000 for p in paths)


def _pdf_pages(data: bytes) -> int:
    """Pages in a PDF whose objects may sit in compressed object streams."""
    chunks = [data]
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", data, re.S):
        try:
            chunks.append(zlib.decompress(match[1]))
        except zlib.error:
            continue
    return sum(len(re.findall(rb"/Type\s*/Page(?!s)", c)) for c in chunks)


def test_print_css_and_pdf(solved: tuple[Batch, Plan], tmp_path: Path) -> None:
    batch, plan = solved
    page = render_runsheets_html(batch, plan, "zh-CN", timeline=False)
    assert "@page { size: A4 landscape" in page and "@media print" in page
    assert "thead { display: table-header-group; }" in page  # headers repeat on each page
    if not pdf_available():
        pytest.skip("WeasyPrint (the pdf extra) is not installed: the HTML is the print copy")
    data = write_runsheets_pdf(batch, plan, tmp_path / "rs.pdf", "zh-CN").read_bytes()
    assert data.startswith(b"%PDF-")
    assert _pdf_pages(data) >= len(plan.routes) + 1  # the overview, then a page per vehicle
