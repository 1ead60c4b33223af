"""Run sheets: one per vehicle, as printable HTML (and PDF), XLSX (a sheet per vehicle)
and CSV.

A driver's sheet has one row per stop: consecutive plan stops at the same site (the
engines give each order at a village station a stop of its own) are one stop, parcels
unloaded first, then produce loaded (``driver_visits``). Times are the plan's, except
that where the plan waits before a site opens (or before produce is ready), the driver
leaves the previous stop that much later and arrives when work can start: the ``leave``
time. Nothing is re-planned: every service start is the plan's.

Each stop lists what to unload and load (order, product, kg), the freshness deadline of
every perishable load (latest arrival that keeps ``min_freshness``), the shelf life left
on arrival, the site's phone and notes (and an order's own). The XLSX has one row per
stop with real Excel times (``hh:mm``); the CSV is the flat detail, one row per order
loaded or unloaded, with the same stop numbers and times.
"""

from __future__ import annotations

import base64
import csv
import html
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from optimizer.i18n import KPI_ROWS, format_kpi, format_share, normalize_lang, t
from optimizer.model import Batch, Site, format_clock
from optimizer.plan import Plan, Rest
from optimizer.replan.changes import driver_notes, stop_marks
from optimizer.report.data import (
    Action,
    RunSheet,
    StopRow,
    build_runsheets,
    clock,
    compartment_text,
    product_label,
    rest_text,
    unserved,
)

if TYPE_CHECKING:
    from openpyxl.styles import Font
    from openpyxl.worksheet.worksheet import Worksheet

    from optimizer.replan.changes import Changes, DriverChanges


# -- stops as a driver sees them -------------------------------------------------------


@dataclass(frozen=True)
class Visit:
    """One stop on a driver's sheet: consecutive plan stops at one site."""

    seq: int  # 1-based
    rows: tuple[StopRow, ...]
    arrive: float  # when the driver gets there, leaving the previous stop at its ``leave``
    leave: float  # the plan's departure, or later by the next stop's wait

    @property
    def site(self) -> Site:
        return self.rows[0].site

    @property
    def start(self) -> float:
        """The plan's service start."""
        return self.rows[0].start

    @property
    def done(self) -> float:
        """The plan's departure: when the work here is done."""
        return self.rows[-1].departure

    @property
    def rests(self) -> list[Rest]:
        """Drivers' breaks at this stop and on the road to the next."""
        return [r for row in self.rows for r in row.rests]

    @property
    def actions(self) -> list[Action]:
        """Unloads first, then loads, over all the plan stops merged here."""
        acts = [a for row in self.rows for a in row.actions]
        return [a for a in acts if a.action == "unload"] + [a for a in acts if a.action == "load"]

    @property
    def kg_on_board(self) -> float:
        return self.rows[-1].kg_on_board

    @property
    def m3_on_board(self) -> float:
        return self.rows[-1].m3_on_board


def driver_visits(sheet: RunSheet) -> list[Visit]:
    """The sheet's stops merged per site visit, with when to leave and arrive.

    A wait before service at a stop (the plan arrives before the site opens or the
    produce is ready) moves to the previous stop: leave it that much later and arrive
    as work can start; except a driver's rest, which stays where it is. Service starts
    stay the plan's.
    """
    groups: list[list[StopRow]] = []
    for row in sheet.stops:
        if groups and groups[-1][-1].site.id == row.site.id:
            groups[-1].append(row)
        else:
            groups.append([row])
    rules = sheet.vehicle_type.rest_rules

    def moves(row: StopRow) -> bool:
        """Whether the wait at ``row`` moves to the previous stop: not when it is a
        driver's rest (listed, or long enough to be one), which must stay where the
        plan has it."""
        rest = rules is not None and row.wait_min >= rules.min_rest_min - 1e-6
        return not rest and not any(r.place == "waiting" for r in row.rests)

    visits = []
    for k, group in enumerate(groups):
        nxt = groups[k + 1][0] if k + 1 < len(groups) else None
        wait_next = nxt.wait_min if nxt is not None and moves(nxt) else 0.0
        arrive = group[0].arrival if k == 0 or not moves(group[0]) else group[0].start
        visits.append(Visit(k + 1, tuple(group), arrive, group[-1].departure + wait_next))
    return visits


def _route_end_label(visits: list[Visit], visit: Visit, lang: str) -> str:
    if visit.actions:
        return ""
    if visit.seq == 1:
        return t("rs.start_route", lang)
    if visit.seq == len(visits):
        return t("rs.end_route", lang)
    return ""


DEADLINE_HORIZON_MIN = 1440.0  # a driver is shown freshness deadlines within a day


def _action_text(a: Action, lang: str, loaded_at: float) -> str:
    """``P-V1 · 草莓 · 300 kg · 14:20 前送达``: one order as the driver reads it.

    A load's freshness deadline is shown when it falls within a day of ``loaded_at``
    (eggs good for 48 days are not the driver's worry; the CSV has every deadline).
    """
    kg = f"{a.order.kg:,.1f}".removesuffix(".0")
    parts = [a.order.id, product_label(a.product, lang), f"{kg} {t('unit.kg', lang)}"]
    soon = a.deadline is not None and a.deadline - loaded_at <= DEADLINE_HORIZON_MIN
    if a.action == "load" and soon:
        parts.append(t("rs.deliver_by", lang, time=clock(a.deadline, lang)))
    if a.action == "unload" and a.remaining_share is not None:
        parts.append(t("rs.left_on_arrival", lang, share=f"{a.remaining_share:.1%}"))
    return " · ".join(parts)


def _contacts(visit: Visit, attr: str) -> list[str]:
    """The site's phone (or note), then each order's own that differs, as ``id: text``."""
    own = getattr(visit.site, attr) or ""
    out = [own] if own else []
    for a in visit.actions:
        text = getattr(a.order, attr) or ""
        if text and text != own:
            out.append(f"{a.order.id}: {text}")
    return list(dict.fromkeys(out))


def _leave_note(visits: list[Visit], visit: Visit, lang: str) -> str:
    """Why the driver leaves later than the work is done, if he does."""
    if visit.leave - visit.done < 1 or visit.seq >= len(visits):
        return ""
    nxt = visits[visit.seq]
    return t(
        "rs.leave_note",
        lang,
        done=format_clock(visit.done),
        leave=format_clock(visit.leave),
        site=nxt.site.name or nxt.site.id,
        start=format_clock(nxt.start),
    )


# One row per stop (XLSX, HTML): (record key, catalogue key), in column order.
STOP_COLUMNS: tuple[tuple[str, str], ...] = (
    ("stop", "rs.stop"),
    ("site_name", "rs.site_name"),
    ("site_id", "rs.site_id"),
    ("site_kind", "rs.site_kind"),
    ("arrival", "rs.arrival"),
    ("start", "rs.service_start"),
    ("leave", "rs.leave"),
    ("unload", "rs.unload"),
    ("kg_unload", "rs.kg_unload"),
    ("load", "rs.load"),
    ("kg_load", "rs.kg_load"),
    ("kg_on_board", "rs.kg_on_board"),
    ("m3_on_board", "rs.m3_on_board"),
    ("phone", "rs.phone"),
    ("note", "rs.note"),
    ("done", "rs.done"),
)
TIME_KEYS = frozenset({"arrival", "start", "leave"})  # minutes after midnight


def stop_records(
    sheet: RunSheet, lang: str, marks: dict[tuple[str, str], list[str]] | None = None
) -> list[dict[str, object]]:
    """One record per stop; times in minutes after midnight, lists as lines of text.
    ``marks``: what a re-plan changed per (order, action), as ``changes`` lines."""
    visits = driver_visits(sheet)
    marks = marks or {}
    records = []
    for v in visits:
        unloads = [a for a in v.actions if a.action == "unload"]
        loads = [a for a in v.actions if a.action == "load"]
        notes = _contacts(v, "note")
        if leave_note := _leave_note(visits, v, lang):
            notes.append(leave_note)
        notes += [rest_text(r, lang) for r in v.rests]
        records.append(
            {
                "stop": v.seq,
                "site_name": v.site.name or v.site.id,
                "site_id": v.site.id,
                "site_kind": t(f"site.{v.site.kind}", lang),
                "arrival": v.arrive,
                "start": v.start,
                "leave": v.leave,
                "unload": "\n".join(_action_text(a, lang, v.done) for a in unloads) or None,
                "kg_unload": round(sum(a.order.kg for a in unloads), 1) if unloads else None,
                "load": "\n".join(_action_text(a, lang, v.done) for a in loads)
                or _route_end_label(visits, v, lang)
                or None,
                "kg_load": round(sum(a.order.kg for a in loads), 1) if loads else None,
                "kg_on_board": round(v.kg_on_board, 1),
                "m3_on_board": round(v.m3_on_board, 3),
                "phone": "\n".join(_contacts(v, "phone")) or None,
                "note": "\n".join(notes) or None,
                "done": None,
                "changes": "\n".join(
                    f"{a.order.id} {t(f'rs.{a.action}', lang)}: {'; '.join(m)}"
                    for a in v.actions
                    if (m := marks.get((a.order.id, a.action)))
                )
                or None,
            }
        )
    return records


# -- the flat table (CSV): one row per order loaded or unloaded ------------------------

# (record key, catalogue key) of the flat table, in column order.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("stop", "rs.stop"),
    ("site_id", "rs.site_id"),
    ("site_name", "rs.site_name"),
    ("site_kind", "rs.site_kind"),
    ("arrival", "rs.arrival"),
    ("start", "rs.service_start"),
    ("departure", "rs.leave"),
    ("wait_min", "rs.wait_min"),
    ("action", "rs.action"),
    ("order", "rs.order"),
    ("order_kind", "rs.order_kind"),
    ("product", "rs.product"),
    ("temp_class", "rs.temp_class"),
    ("kg", "rs.kg"),
    ("m3", "rs.m3"),
    ("compartment_c", "rs.compartment_c"),
    ("deadline", "rs.deadline"),
    ("remaining", "rs.remaining"),
    ("remaining_h", "rs.remaining_h"),
    ("kg_on_board", "rs.kg_on_board"),
    ("m3_on_board", "rs.m3_on_board"),
    ("phone", "rs.phone"),
    ("note", "rs.note"),
)
_SHARE_KEYS = {"remaining"}


def column_titles(lang: str) -> list[str]:
    """The flat table's header row in ``lang``."""
    return [t(key, lang) for _, key in COLUMNS]


def runsheet_records(
    sheet: RunSheet, lang: str, marks: dict[tuple[str, str], list[str]] | None = None
) -> list[dict[str, object]]:
    """The flat rows of one run sheet: one per order loaded or unloaded, one per empty stop.

    Stops are the driver's (``driver_visits``). Values are typed: numbers stay numbers
    (``remaining`` is a share 0-1), times are ``HH:MM`` strings, missing values are None.
    ``marks``: what a re-plan changed per (order, action), as a ``changes`` field.
    """
    records: list[dict[str, object]] = []
    visits = driver_visits(sheet)
    for v in visits:
        base: dict[str, object] = {
            "stop": v.seq,
            "site_id": v.site.id,
            "site_name": v.site.name,
            "site_kind": t(f"site.{v.site.kind}", lang),
            "arrival": format_clock(v.arrive),
            "start": format_clock(v.start),
            "departure": format_clock(v.leave),
            "wait_min": round(max(0.0, v.start - v.arrive)),
            "compartment_c": sheet.compartment_c,
            "kg_on_board": round(v.kg_on_board, 1),
            "m3_on_board": round(v.m3_on_board, 3),
            "phone": v.site.phone or None,
            "note": "\n".join([v.site.note or "", *(rest_text(r, lang) for r in v.rests)]).strip()
            or None,
        }
        if not v.actions:
            records.append({**base, "action": _route_end_label(visits, v, lang)})
        for a in v.actions:
            record = {**base, **_action_fields(a, lang)}
            if marks is not None:
                record["changes"] = "; ".join(marks.get((a.order.id, a.action), [])) or None
            records.append(record)
    keys = [key for key, _ in COLUMNS] + (["changes"] if marks is not None else [])
    return [{key: rec.get(key) for key in keys} for rec in records]


def _action_fields(a: Action, lang: str) -> dict[str, object]:
    fields: dict[str, object] = {
        "action": t(f"rs.{a.action}", lang),
        "order": a.order.id,
        "order_kind": t(f"order.{a.order.kind}", lang),
        "product": product_label(a.product, lang),
        "temp_class": t(f"temp.class.{a.product.temperature_class}", lang),
        "kg": a.order.kg,
        "m3": a.order.m3,
        "deadline": clock(a.deadline, lang) or None,
        "remaining": None if a.remaining_share is None else round(a.remaining_share, 4),
        "remaining_h": None if a.remaining_h is None else round(a.remaining_h, 1),
    }
    if a.order.phone:
        fields["phone"] = a.order.phone
    if a.order.note:
        fields["note"] = a.order.note
    return fields


# -- CSV -------------------------------------------------------------------------------


def write_runsheets_csv(
    batch: Batch, plan: Plan, path: Path, lang: str = "zh-CN", changes: Changes | None = None
) -> Path:
    """All run sheets in one CSV, a ``vehicle`` column first.

    Written as UTF-8 with a byte-order mark so Excel on Chinese Windows shows the Chinese
    text correctly. Shares are written as percentages (``93.2%``). After a re-plan
    (``changes``), a last column marks what changed per order, and each driver's rows end
    with what the driver no longer does (a row with that column alone).
    """
    path = Path(path)
    titles = [t("rs.vehicle", lang), t("rs.vehicle_type", lang), *column_titles(lang)]
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([*titles, t("replan.sheet_column", lang)] if changes else titles)
        for sheet in build_runsheets(batch, plan):
            d = changes.driver(sheet.vehicle) if changes else None
            marks = (stop_marks(d, lang) if d else {}) if changes else None
            for rec in runsheet_records(sheet, lang, marks):
                cells = [_csv_cell(key, rec[key]) for key, _ in COLUMNS]
                if changes:
                    cells.append(_csv_cell("changes", rec.get("changes")))
                writer.writerow([sheet.vehicle, sheet.vehicle_type.id, *cells])
            for note in driver_notes(d, plan, lang) if d else []:
                blank = [""] * len(COLUMNS)
                writer.writerow([sheet.vehicle, sheet.vehicle_type.id, *blank, note])
    return path


def _csv_cell(key: str, value: object) -> str:
    if value is None:
        return ""
    if key in _SHARE_KEYS and isinstance(value, float):
        return f"{value:.1%}"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


# -- XLSX ------------------------------------------------------------------------------


def _sheet_name(name: str, taken: set[str]) -> str:
    clean = "".join("_" if c in "[]:*?/\\" else c for c in name)[:31] or "sheet"
    candidate, n = clean, 2
    while candidate.lower() in taken:
        suffix = f"~{n}"
        candidate, n = clean[: 31 - len(suffix)] + suffix, n + 1
    taken.add(candidate.lower())
    return candidate


def write_runsheets_xlsx(
    batch: Batch, plan: Plan, path: Path, lang: str = "zh-CN", changes: Changes | None = None
) -> Path:
    """A workbook: a summary sheet, then one sheet per vehicle named by its id.

    A vehicle sheet has a short header block (vehicle, type, compartment °C, shift, km,
    cost), then one row per stop (``STOP_COLUMNS``, first title ``t("rs.stop")``) with
    times as Excel time values shown ``hh:mm`` (``[hh]:mm`` past midnight), ready to
    print on one page width. A re-plan's ``changes`` add a column (what changed at each
    stop) and, below the stops, what the driver no longer does.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    path = Path(path)
    wb = Workbook()
    taken: set[str] = set()
    bold = Font(bold=True)
    summary = wb.active
    summary.title = _sheet_name(t("rs.summary", lang), taken)
    _xlsx_summary(summary, batch, plan, lang, bold)

    columns = STOP_COLUMNS + ((("changes", "replan.sheet_column"),) if changes else ())
    titles = [t(key, lang) for _, key in columns]
    fmt = {"kg_unload": "0.0", "kg_load": "0.0", "kg_on_board": "0.0", "m3_on_board": "0.00"}
    widths = {"site_name": 16, "unload": 34, "load": 40, "phone": 15, "note": 30, "changes": 30}
    top = Alignment(wrap_text=True, vertical="top")
    for sheet in build_runsheets(batch, plan):
        ws = wb.create_sheet(_sheet_name(sheet.vehicle, taken))
        ws.append([t("rs.sheet_title", lang, vehicle=sheet.vehicle)])
        ws["A1"].font = Font(bold=True, size=14)
        for label, value in _header_block(sheet, batch, lang):
            ws.append([label, value])
        ws.append([])
        ws.append(titles)
        header_row = ws.max_row
        fill = PatternFill("solid", fgColor="DDEBF7")
        for cell in ws[header_row]:
            cell.font = bold
            cell.fill = fill
            cell.alignment = top
        d = changes.driver(sheet.vehicle) if changes else None
        for rec in stop_records(sheet, lang, stop_marks(d, lang) if d else None):
            ws.append([_xlsx_value(key, rec[key]) for key, _ in columns])
            for col, (key, _) in enumerate(columns, start=1):
                cell = ws.cell(ws.max_row, col)
                cell.alignment = top
                if key in TIME_KEYS and isinstance(cell.value, float):
                    cell.number_format = "hh:mm" if cell.value < 1 else "[hh]:mm"
                elif key in fmt:
                    cell.number_format = fmt[key]
        if changes and d and (notes := driver_notes(d, plan, lang)):
            ws.append([])
            ws.append([t("replan.sheet_changes", lang, now=format_clock(changes.now))])
            ws.cell(ws.max_row, 1).font = bold
            for note in notes:
                ws.append([note])
        ws.freeze_panes = ws.cell(header_row + 1, 3)
        ws.print_title_rows = f"{header_row}:{header_row}"
        for col, (key, title) in enumerate(
            zip((k for k, _ in columns), titles, strict=True), start=1
        ):
            width = widths.get(key, max(7, min(14, len(title) + 3)))
            ws.column_dimensions[get_column_letter(col)].width = width
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
    wb.save(path)
    return path


def _xlsx_value(key: str, value: object) -> object:
    """A record value as a cell value: times as Excel's fraction of a day, to the minute
    (``hh:mm`` would cut 06:34:40 to 06:34 where the HTML rounds it to 06:35)."""
    if key in TIME_KEYS and isinstance(value, int | float):
        return round(value) / 1440.0
    return value


def _header_block(sheet: RunSheet, batch: Batch, lang: str) -> list[tuple[str, str]]:
    route = sheet.route
    vt = sheet.vehicle_type
    return [
        (t("rs.vehicle", lang), sheet.vehicle),
        (t("rs.vehicle_type", lang), f"{vt.name} ({vt.id})" if vt.name else vt.id),
        (t("rs.compartment", lang), compartment_text(vt, batch, lang)),
        (
            t("rs.shift", lang),
            f"{format_clock(route.stops[0].start)}-{format_clock(route.stops[-1].departure)}",
        ),
        (t("rs.distance", lang), f"{route.km:.1f} {t('unit.km', lang)}"),
        (t("rs.cost", lang), f"{route.cost.total:,.0f} {t('unit.cny', lang)}"),
    ]


def _xlsx_summary(ws: Worksheet, batch: Batch, plan: Plan, lang: str, bold: Font) -> None:
    ws.append([t("rs.title", lang, name=batch.name or plan.batch)])
    ws["A1"].font = bold
    ws.append([t("rs.generated", lang, batch=plan.batch or batch.name, engine=plan.engine)])
    ws.append([])
    base = plan.baseline.kpis if plan.baseline else None
    head = [t("cli.kpi", lang), t("cli.paired", lang)]
    if base is not None:
        head.append(t("cli.separate", lang))
    ws.append(head)
    for cell in ws[ws.max_row]:
        cell.font = bold
    for field, _ in KPI_ROWS:
        row = [t(f"kpi.{field}", lang), format_kpi(field, getattr(plan.kpis, field))]
        if base is not None:
            row.append(format_kpi(field, getattr(base, field)))
        ws.append(row)
    if plan.baseline is not None:
        ws.append([t("kpi.cost_saving", lang), format_share(plan.baseline.cost_saving_share)])
        ws.append(
            [t("kpi.empty_km_saving", lang), format_share(plan.baseline.empty_km_saving_share)]
        )
    ws.append([])
    ws.append(
        [
            t("rs.vehicle", lang),
            t("rs.vehicle_type", lang),
            t("rs.shift", lang),
            t("rs.distance", lang),
            t("rs.stops", lang),
        ]
    )
    for cell in ws[ws.max_row]:
        cell.font = bold
    for sheet in build_runsheets(batch, plan):
        route = sheet.route
        ws.append(
            [
                route.vehicle,
                route.vehicle_type,
                f"{format_clock(route.stops[0].start)}-{format_clock(route.stops[-1].departure)}",
                round(route.km, 1),
                len(driver_visits(sheet)),
            ]
        )
    missing = unserved(batch, plan, lang)
    if missing:
        ws.append([])
        ws.append([t("rs.unserved", lang)])
        ws[f"A{ws.max_row}"].font = bold
        for order, reason in missing:
            ws.append([order.id, t(f"order.{order.kind}", lang), order.site, reason])
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = 18
    ws.column_dimensions["C"].width = 18


# -- HTML ------------------------------------------------------------------------------

_CSS = """
body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", "Helvetica Neue",
       Arial, sans-serif; margin: 16px; color: #222; font-size: 13px; }
h1 { font-size: 20px; margin: 0 0 6px; }
h2 { font-size: 17px; margin: 0 0 6px; display: flex; align-items: center; gap: 8px; }
.swatch { display: inline-block; width: 18px; height: 6px; border-radius: 3px; }
.meta { color: #555; margin-bottom: 8px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 10px; }
th, td { border: 1px solid #bbb; padding: 3px 5px; vertical-align: top; text-align: left; }
th { background: #eef3f8; }
td.num { text-align: right; white-space: nowrap; }
table.info { width: auto; }
table.info th { background: none; font-weight: normal; color: #555; }
.act { margin: 1px 0; }
td.site { min-width: 170px; }
td.acts { min-width: 260px; }
.act .oid { font-weight: 600; }
.late { color: #b00020; font-weight: 600; }
.chg { color: #8a4b00; font-weight: 600; }
tr.changed td { background: #fff6e0; }
div.changes { border: 1px solid #e0b050; background: #fffaf0; padding: 4px 8px; margin: 6px 0; }
.tick { width: 22px; }
img.timeline { max-width: 100%; }
.sig { margin-top: 18px; }
.sig span { display: inline-block; width: 220px; border-bottom: 1px solid #333; }
td.time { font-size: 15px; font-weight: 600; }
td.phone { white-space: nowrap; }
td.note { min-width: 140px; }
section.sheet { page-break-before: always; break-before: page; }
thead { display: table-header-group; }
tr { page-break-inside: avoid; break-inside: avoid; }
button.print { float: right; font-size: 14px; padding: 4px 12px; }
@page { size: A4 landscape; margin: 10mm; }
@media print {
  body { margin: 0; font-size: 12px; }
  button.print { display: none; }
  th { background: #eee !important; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  img.timeline { max-height: 70mm; }
}
"""


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value))


def render_runsheets_html(
    batch: Batch,
    plan: Plan,
    lang: str = "zh-CN",
    *,
    timeline: bool = True,
    changes: Changes | None = None,
) -> str:
    """A printable page: an overview, then one page per vehicle (A4 landscape).

    With ``timeline`` the overview embeds the day's timeline and each vehicle page its own
    row of it, as base64 PNG images, so the file stands alone. A re-plan's ``changes``
    mark each order added, taken over from another truck or at a new time (with the old
    one), and list what each driver no longer does.
    """
    code = normalize_lang(lang)
    name = batch.name or plan.batch
    sheets = build_runsheets(batch, plan)
    parts = [
        f'<!DOCTYPE html><html lang="{code}"><head><meta charset="utf-8">',
        f"<title>{_e(t('rs.title', code, name=name))}</title><style>{_CSS}</style></head><body>",
        f'<button class="print" onclick="window.print()">{_e(t("rs.print", code))}</button>',
        f"<h1>{_e(t('rs.title', code, name=name))}</h1>",
        f'<div class="meta">{_e(t("rs.generated", code, batch=plan.batch, engine=plan.engine))}'
        "</div>",
        _html_kpis(plan, code),
    ]
    if changes is not None:
        parts.append(_html_changes(changes, plan, code, {s.vehicle for s in sheets}))
    if not sheets:
        parts.append(f"<p>{_e(t('rs.no_routes', code))}</p>")
    elif timeline:
        parts.append(f"<h2>{_e(t('rs.timeline', code))}</h2>")
        parts.append(_img(batch, plan, code, None))
    missing = unserved(batch, plan, code)
    if missing:
        parts.append(f"<h2>{_e(t('rs.unserved', code))}</h2><table><tr>")
        parts.append(
            "".join(
                f"<th>{_e(t(k, code))}</th>"
                for k in ("rs.order", "rs.order_kind", "rs.site_id", "rs.reason")
            )
        )
        parts.append("</tr>")
        for order, reason in missing:
            parts.append(
                f"<tr><td>{_e(order.id)}</td><td>{_e(t(f'order.{order.kind}', code))}</td>"
                f"<td>{_e(order.site)}</td><td>{_e(reason)}</td></tr>"
            )
        parts.append("</table>")
    for sheet in sheets:
        d = changes.driver(sheet.vehicle) if changes else None
        parts.append(_html_sheet(sheet, batch, plan, code, timeline, d, changes))
    parts.append("</body></html>")
    return "\n".join(parts)


def pdf_available() -> bool:
    """Whether WeasyPrint (the optional ``pdf`` extra) can be imported here."""
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):  # OSError: Pango missing from the system
        return False
    return True


def write_runsheets_pdf(
    batch: Batch, plan: Plan, path: Path, lang: str = "zh-CN", changes: Changes | None = None
) -> Path:
    """The printable run sheets as a PDF (A4 landscape, a page per vehicle), rendered by
    WeasyPrint from the same HTML. Needs the ``pdf`` extra (``pip install
    'freshroute[pdf]'``, and Pango from the system); without it the HTML prints the same
    pages from a browser."""
    from weasyprint import HTML

    path = Path(path)
    HTML(string=render_runsheets_html(batch, plan, lang, changes=changes)).write_pdf(path)
    return path


def _img(batch: Batch, plan: Plan, lang: str, vehicles: list[str] | None) -> str:
    from optimizer.report.timeline import timeline_png

    data = base64.b64encode(timeline_png(batch, plan, lang, vehicles=vehicles)).decode("ascii")
    alt = _e(t("tl.title", lang))
    return f'<img class="timeline" alt="{alt}" src="data:image/png;base64,{data}">'


def _html_kpis(plan: Plan, lang: str) -> str:
    base = plan.baseline.kpis if plan.baseline else None
    head = f"<th>{_e(t('cli.kpi', lang))}</th><th>{_e(t('cli.paired', lang))}</th>"
    if base is not None:
        head += f"<th>{_e(t('cli.separate', lang))}</th>"
    rows = [f'<table class="info kpis"><tr>{head}</tr>']
    for field, _ in KPI_ROWS:
        cells = f"<td>{_e(t(f'kpi.{field}', lang))}</td>"
        cells += f'<td class="num">{_e(format_kpi(field, getattr(plan.kpis, field)))}</td>'
        if base is not None:
            cells += f'<td class="num">{_e(format_kpi(field, getattr(base, field)))}</td>'
        rows.append(f"<tr>{cells}</tr>")
    if plan.baseline is not None:
        for key, value in (
            ("kpi.cost_saving", plan.baseline.cost_saving_share),
            ("kpi.empty_km_saving", plan.baseline.empty_km_saving_share),
        ):
            rows.append(
                f"<tr><td>{_e(t(key, lang))}</td>"
                f'<td class="num" colspan="2">{format_share(value)}</td></tr>'
            )
    rows.append("</table>")
    return "".join(rows)


def _html_action(a: Action, lang: str, loaded_at: float, marks: list[str] | None = None) -> str:
    oid = _e(a.order.id)
    text = _e(_action_text(a, lang, loaded_at)).replace(oid, f'<span class="oid">{oid}</span>', 1)
    late = a.remaining_share is not None and a.remaining_share < a.order.min_freshness
    if a.action == "unload" and late:
        text = f'<span class="late">{text}</span>'
    if marks:
        text += f' <span class="chg">[{_e("; ".join(marks))}]</span>'
    return f'<div class="act">{text}</div>'


def _lines(value: object) -> str:
    return "<br>".join(_e(line) for line in str(value or "").splitlines())


def _html_changes(changes: Changes, plan: Plan, lang: str, sheets: set[str]) -> str:
    """The overview's box: the re-plan in one line, and what drivers without a run sheet
    (all their stops gone) no longer do."""
    now = format_clock(changes.now)
    summary = t(
        "replan.summary",
        lang,
        moved=changes.moved,
        added=changes.added,
        unserved=len(changes.unserved),
    )
    out = [f'<div class="changes"><h2>{_e(t("replan.sheet_changes", lang, now=now))}</h2>']
    out.append(f"<p>{_e(summary)}</p>")
    for d in changes.drivers:
        notes = driver_notes(d, plan, lang)
        if d.vehicle not in sheets and notes:
            out.append(f"<p><b>{_e(t('replan.driver', lang, vehicle=d.vehicle))}</b></p><ul>")
            out += [f"<li>{_e(n)}</li>" for n in notes]
            out.append("</ul>")
    out.append("</div>")
    return "".join(out)


def _html_sheet(
    sheet: RunSheet,
    batch: Batch,
    plan: Plan,
    lang: str,
    timeline: bool,
    d: DriverChanges | None = None,
    changes: Changes | None = None,
) -> str:
    info = "".join(
        f"<tr><th>{_e(label)}</th><td>{_e(value)}</td></tr>"
        for label, value in _header_block(sheet, batch, lang)
    )
    heads = (
        "rs.stop",
        "rs.site_name",
        "rs.arrival",
        "rs.leave",
        "rs.unload",
        "rs.load",
        "rs.kg_on_board",
        "rs.phone",
        "rs.note",
    )
    out = [
        f'<section class="sheet" data-vehicle="{_e(sheet.vehicle)}">',
        f'<h2><span class="swatch" style="background:{sheet.color}"></span>'
        f"{_e(t('rs.sheet_title', lang, vehicle=sheet.vehicle))}</h2>",
        f'<table class="info">{info}</table>',
    ]
    if timeline:
        out.append(_img(batch, plan, lang, [sheet.vehicle]))
    notes = driver_notes(d, plan, lang) if d is not None else []
    if changes is not None and notes:
        now = format_clock(changes.now)
        title = _e(t("replan.sheet_changes", lang, now=now))
        out.append(f'<div class="changes"><b>{title}</b><ul>')
        out += [f"<li>{_e(n)}</li>" for n in notes]
        out.append("</ul></div>")
    marks = stop_marks(d, lang) if d is not None else {}
    out.append('<table class="stops"><thead><tr>')
    out.append("".join(f"<th>{_e(t(k, lang))}</th>" for k in heads))
    out.append('<th class="tick">✓</th></tr></thead><tbody>')
    visits = driver_visits(sheet)
    records = stop_records(sheet, lang)
    for v, rec in zip(visits, records, strict=True):
        unloads = "".join(
            _html_action(a, lang, v.done, marks.get((a.order.id, a.action)))
            for a in v.actions
            if a.action == "unload"
        )
        loads = "".join(
            _html_action(a, lang, v.done, marks.get((a.order.id, a.action)))
            for a in v.actions
            if a.action == "load"
        )
        changed = any((a.order.id, a.action) in marks for a in v.actions)
        row_class = ' class="changed"' if changed else ""
        if not v.actions:
            loads = _e(_route_end_label(visits, v, lang))
        kind = t(f"site.{v.site.kind}", lang)
        site = (
            f"<b>{_e(v.site.name or v.site.id)}</b><br><small>{_e(v.site.id)} · {_e(kind)}</small>"
        )
        start = ""
        if v.start - v.arrive >= 1:  # the first stop may still wait (the route's start)
            start = f"<br><small>{_e(t('rs.service_start', lang))} {format_clock(v.start)}</small>"
        out.append(
            f'<tr data-stop="{v.seq}"{row_class}>'
            f'<td class="num">{v.seq}</td>'
            f'<td class="site">{site}</td>'
            f'<td class="num time">{format_clock(v.arrive)}{start}</td>'
            f'<td class="num time">{format_clock(v.leave)}</td>'
            f'<td class="acts">{unloads}</td><td class="acts">{loads}</td>'
            f'<td class="num">{v.kg_on_board:,.1f}</td>'
            f'<td class="phone">{_lines(rec["phone"])}</td>'
            f'<td class="note">{_lines(rec["note"])}</td><td></td></tr>'
        )
    out.append("</tbody></table>")
    out.append(f'<div class="sig">{_e(t("rs.signature", lang))}: <span></span></div>')
    out.append("</section>")
    return "\n".join(out)
