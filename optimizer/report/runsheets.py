"""Run sheets: one per vehicle, as printable HTML, XLSX (a sheet per vehicle) and CSV.

Each lists the stops in order with arrival and departure, what to unload and load there
(order, product, kg, m³), the compartment temperature, the freshness deadline of every
perishable load (latest arrival that keeps ``min_freshness``) and the shelf life left on
arrival. Rows are built once (``runsheet_records``) so all three formats agree.
"""

from __future__ import annotations

import base64
import csv
import html
from pathlib import Path
from typing import TYPE_CHECKING

from optimizer.i18n import KPI_ROWS, format_kpi, format_share, normalize_lang, t
from optimizer.model import Batch, format_clock
from optimizer.plan import Plan
from optimizer.report.data import (
    Action,
    RunSheet,
    StopRow,
    build_runsheets,
    clock,
    compartment_text,
    product_label,
    unserved,
)

if TYPE_CHECKING:
    from openpyxl.styles import Font
    from openpyxl.worksheet.worksheet import Worksheet

# (record key, catalogue key) of the flat table, in column order.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("stop", "rs.stop"),
    ("site_id", "rs.site_id"),
    ("site_name", "rs.site_name"),
    ("site_kind", "rs.site_kind"),
    ("arrival", "rs.arrival"),
    ("start", "rs.service_start"),
    ("departure", "rs.departure"),
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
)
_SHARE_KEYS = {"remaining"}


def column_titles(lang: str) -> list[str]:
    """The flat table's header row in ``lang``."""
    return [t(key, lang) for _, key in COLUMNS]


def _route_end_label(sheet: RunSheet, row: StopRow, lang: str) -> str:
    if row.seq == 1:
        return t("rs.start_route", lang)
    if row.seq == len(sheet.stops):
        return t("rs.end_route", lang)
    return ""


def runsheet_records(sheet: RunSheet, lang: str) -> list[dict[str, object]]:
    """The flat rows of one run sheet: one per order loaded or unloaded, one per empty stop.

    Values are typed: numbers stay numbers (``remaining`` is a share 0-1), times are
    ``HH:MM`` strings, missing values are None.
    """
    records: list[dict[str, object]] = []
    for row in sheet.stops:
        base: dict[str, object] = {
            "stop": row.seq,
            "site_id": row.site.id,
            "site_name": row.site.name,
            "site_kind": t(f"site.{row.site.kind}", lang),
            "arrival": format_clock(row.arrival),
            "start": format_clock(row.start),
            "departure": format_clock(row.departure),
            "wait_min": round(row.wait_min),
            "compartment_c": sheet.compartment_c,
            "kg_on_board": round(row.kg_on_board, 1),
            "m3_on_board": round(row.m3_on_board, 3),
        }
        if not row.actions:
            records.append({**base, "action": _route_end_label(sheet, row, lang)})
        for a in row.actions:
            records.append({**base, **_action_fields(a, lang)})
    return [{key: rec.get(key) for key, _ in COLUMNS} for rec in records]


def _action_fields(a: Action, lang: str) -> dict[str, object]:
    return {
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


# -- CSV -------------------------------------------------------------------------------


def write_runsheets_csv(batch: Batch, plan: Plan, path: Path, lang: str = "zh-CN") -> Path:
    """All run sheets in one CSV, a ``vehicle`` column first.

    Written as UTF-8 with a byte-order mark so Excel on Chinese Windows shows the Chinese
    text correctly. Shares are written as percentages (``93.2%``).
    """
    path = Path(path)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([t("rs.vehicle", lang), t("rs.vehicle_type", lang), *column_titles(lang)])
        for sheet in build_runsheets(batch, plan):
            for rec in runsheet_records(sheet, lang):
                cells = [_csv_cell(key, rec[key]) for key, _ in COLUMNS]
                writer.writerow([sheet.vehicle, sheet.vehicle_type.id, *cells])
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
    clean = "".join("_" if c in '[]:*?/\\' else c for c in name)[:31] or "sheet"
    candidate, n = clean, 2
    while candidate.lower() in taken:
        suffix = f"~{n}"
        candidate, n = clean[: 31 - len(suffix)] + suffix, n + 1
    taken.add(candidate.lower())
    return candidate


def write_runsheets_xlsx(batch: Batch, plan: Plan, path: Path, lang: str = "zh-CN") -> Path:
    """A workbook: a summary sheet, then one sheet per vehicle named by its id.

    A vehicle sheet has a short header block (vehicle, type, compartment °C, shift, km,
    cost), then the table whose first column title is ``t("rs.stop")``.
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

    titles = column_titles(lang)
    fmt = {"kg": "0.0", "m3": "0.000", "remaining": "0.0%", "remaining_h": "0.0",
           "kg_on_board": "0.0", "m3_on_board": "0.000", "compartment_c": "0"}
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
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for rec in runsheet_records(sheet, lang):
            ws.append([rec[key] for key, _ in COLUMNS])
            for col, (key, _) in enumerate(COLUMNS, start=1):
                if key in fmt:
                    ws.cell(ws.max_row, col).number_format = fmt[key]
        ws.freeze_panes = ws.cell(header_row + 1, 2)
        for col, title in enumerate(titles, start=1):
            ws.column_dimensions[get_column_letter(col)].width = max(9, min(28, len(title) + 4))
        ws.column_dimensions["C"].width = 30
        ws.page_setup.orientation = "landscape"
        ws.page_setup.fitToWidth = 1
        ws.sheet_properties.pageSetUpPr.fitToPage = True
    wb.save(path)
    return path


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
        ws.append([t("kpi.empty_km_saving", lang),
                   format_share(plan.baseline.empty_km_saving_share)])
    ws.append([])
    ws.append([t("rs.vehicle", lang), t("rs.vehicle_type", lang), t("rs.shift", lang),
               t("rs.distance", lang), t("rs.stops", lang)])
    for cell in ws[ws.max_row]:
        cell.font = bold
    for route in plan.routes:
        ws.append([
            route.vehicle,
            route.vehicle_type,
            f"{format_clock(route.stops[0].start)}-{format_clock(route.stops[-1].departure)}",
            round(route.km, 1),
            len(route.stops),
        ])
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
.tick { width: 22px; }
img.timeline { max-width: 100%; }
.sig { margin-top: 18px; }
.sig span { display: inline-block; width: 220px; border-bottom: 1px solid #333; }
section.sheet { page-break-before: always; break-before: page; }
@page { size: A4 landscape; margin: 10mm; }
@media print { body { margin: 0; } }
"""


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value))


def render_runsheets_html(
    batch: Batch, plan: Plan, lang: str = "zh-CN", *, timeline: bool = True
) -> str:
    """A printable page: an overview, then one page per vehicle (A4 landscape).

    With ``timeline`` the overview embeds the day's timeline and each vehicle page its own
    row of it, as base64 PNG images, so the file stands alone.
    """
    code = normalize_lang(lang)
    name = batch.name or plan.batch
    sheets = build_runsheets(batch, plan)
    parts = [
        f'<!DOCTYPE html><html lang="{code}"><head><meta charset="utf-8">',
        f"<title>{_e(t('rs.title', code, name=name))}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(t('rs.title', code, name=name))}</h1>",
        f'<div class="meta">{_e(t("rs.generated", code, batch=plan.batch, engine=plan.engine))}'
        "</div>",
        _html_kpis(plan, code),
    ]
    if not sheets:
        parts.append(f"<p>{_e(t('rs.no_routes', code))}</p>")
    elif timeline:
        parts.append(f"<h2>{_e(t('rs.timeline', code))}</h2>")
        parts.append(_img(batch, plan, code, None))
    missing = unserved(batch, plan, code)
    if missing:
        parts.append(f"<h2>{_e(t('rs.unserved', code))}</h2><table><tr>")
        parts.append(
            "".join(f"<th>{_e(t(k, code))}</th>" for k in ("rs.order", "rs.order_kind",
                                                            "rs.site_id", "rs.reason"))
        )
        parts.append("</tr>")
        for order, reason in missing:
            parts.append(
                f"<tr><td>{_e(order.id)}</td><td>{_e(t(f'order.{order.kind}', code))}</td>"
                f"<td>{_e(order.site)}</td><td>{_e(reason)}</td></tr>"
            )
        parts.append("</table>")
    for sheet in sheets:
        parts.append(_html_sheet(sheet, batch, plan, code, timeline))
    parts.append("</body></html>")
    return "\n".join(parts)


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
                f'<tr><td>{_e(t(key, lang))}</td>'
                f'<td class="num" colspan="2">{format_share(value)}</td></tr>'
            )
    rows.append("</table>")
    return "".join(rows)


def _html_action(a: Action, lang: str) -> str:
    product = product_label(a.product, lang)
    text = (
        f'<span class="oid">{_e(a.order.id)}</span> · {_e(product)} · '
        f"{a.order.kg:,.1f} {_e(t('unit.kg', lang))} · {a.order.m3:.2f} m³"
    )
    if a.action == "load" and a.deadline is not None:
        text += f" · {_e(t('rs.deadline', lang))} {_e(clock(a.deadline, lang))}"
    if a.action == "unload" and a.remaining_share is not None:
        late = a.remaining_share < a.order.min_freshness
        cls = ' class="late"' if late else ""
        text += f" · {_e(t('rs.remaining', lang))} <span{cls}>{a.remaining_share:.1%}</span>"
    return f'<div class="act">{text}</div>'


def _html_sheet(sheet: RunSheet, batch: Batch, plan: Plan, lang: str, timeline: bool) -> str:
    info = "".join(
        f"<tr><th>{_e(label)}</th><td>{_e(value)}</td></tr>"
        for label, value in _header_block(sheet, batch, lang)
    )
    heads = ("rs.stop", "rs.site_name", "rs.arrival", "rs.departure", "rs.unload", "rs.load",
             "rs.kg_on_board", "rs.m3_on_board")
    out = [
        f'<section class="sheet" data-vehicle="{_e(sheet.vehicle)}">',
        f'<h2><span class="swatch" style="background:{sheet.color}"></span>'
        f"{_e(t('rs.sheet_title', lang, vehicle=sheet.vehicle))}</h2>",
        f'<table class="info">{info}</table>',
    ]
    if timeline:
        out.append(_img(batch, plan, lang, [sheet.vehicle]))
    out.append("<table class=\"stops\"><tr>")
    out.append("".join(f"<th>{_e(t(k, lang))}</th>" for k in heads))
    out.append('<th class="tick">✓</th></tr>')
    for row in sheet.stops:
        unloads = "".join(_html_action(a, lang) for a in row.actions if a.action == "unload")
        loads = "".join(_html_action(a, lang) for a in row.actions if a.action == "load")
        if not row.actions:
            loads = _e(_route_end_label(sheet, row, lang))
        kind = t(f"site.{row.site.kind}", lang)
        wait = t("rs.wait_note", lang, min=row.wait_min) if row.wait_min >= 1 else ""
        wait_html = f"<br><small>{_e(wait)}</small>" if wait else ""
        site = (
            f"{_e(row.site.name or row.site.id)}<br>"
            f"<small>{_e(row.site.id)} · {_e(kind)}</small>"
        )
        out.append(
            f'<tr data-stop="{row.seq}"><td class="num">{row.seq}</td>'
            f'<td class="site">{site}</td>'
            f'<td class="num">{format_clock(row.arrival)}{wait_html}</td>'
            f'<td class="num">{format_clock(row.departure)}</td>'
            f'<td class="acts">{unloads}</td><td class="acts">{loads}</td>'
            f'<td class="num">{row.kg_on_board:,.1f}</td>'
            f'<td class="num">{row.m3_on_board:.2f}</td><td></td></tr>'
        )
    out.append("</table>")
    out.append(f'<div class="sig">{_e(t("rs.signature", lang))}: <span></span></div>')
    out.append("</section>")
    return "\n".join(out)
