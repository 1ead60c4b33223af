"""Reports for people: the route map, the drivers' run sheets and the day's timeline.

``write_reports`` writes them all; the modules can also be used one by one:
``map.render_map``, ``runsheets.render_runsheets_html`` / ``write_runsheets_xlsx`` /
``write_runsheets_csv`` / ``write_runsheets_pdf`` and ``timeline.write_timeline_png``.
Texts come in zh-CN (default) and en from ``optimizer.i18n``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from optimizer.model import Batch
from optimizer.network import TravelMatrices
from optimizer.plan import Plan

if TYPE_CHECKING:
    from optimizer.replan.changes import Changes

REPORT_FILES = ("map.html", "runsheets.xlsx", "runsheets.html", "runsheets.csv", "timeline.png")
PDF_FILE = "runsheets.pdf"  # also written when WeasyPrint (the ``pdf`` extra) is installed


def write_reports(
    batch: Batch,
    plan: Plan,
    out_dir: Path,
    lang: str = "zh-CN",
    *,
    tiles_url: str | None = None,
    geojson: dict | None = None,
    travel: TravelMatrices | None = None,
    changes: Changes | None = None,
) -> list[Path]:
    """Write map.html, runsheets.xlsx, runsheets.html, runsheets.csv and timeline.png,
    then runsheets.pdf when WeasyPrint is installed.

    Returns the paths written, in that order; ``out_dir`` is created when missing.
    ``geojson`` is the plan's GeoJSON (``optimizer.geojson.plan_geojson``), whose route
    lines the map draws (road geometry when the plan has it); ``travel`` with a road
    network adds the roads to the map as a base layer; a re-plan's ``changes`` are
    marked on the run sheets (HTML, XLSX, PDF).
    """
    from optimizer.report.map import write_map
    from optimizer.report.runsheets import (
        pdf_available,
        render_runsheets_html,
        write_runsheets_csv,
        write_runsheets_pdf,
        write_runsheets_xlsx,
    )
    from optimizer.report.timeline import write_timeline_png

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    html_path = out / "runsheets.html"
    html_path.write_text(
        render_runsheets_html(batch, plan, lang, changes=changes), encoding="utf-8"
    )
    paths = [
        write_map(batch, plan, out / "map.html", lang, tiles_url, geojson=geojson, travel=travel),
        write_runsheets_xlsx(batch, plan, out / "runsheets.xlsx", lang, changes),
        html_path,
        write_runsheets_csv(batch, plan, out / "runsheets.csv", lang, changes),
        write_timeline_png(batch, plan, out / "timeline.png", lang),
    ]
    if pdf_available():
        paths.append(write_runsheets_pdf(batch, plan, out / PDF_FILE, lang, changes))
    return paths


__all__ = ["PDF_FILE", "REPORT_FILES", "write_reports"]
