"""The zh-CN run sheet in headless Chromium: a screenshot for README, a PDF print.

Needs Debian's ``chromium`` like ``test_report_browser.py`` (``FRESHROUTE_SKIP_BROWSER=1``
skips it on purpose). The screenshot goes to ``docs/screenshots/runsheet-zh-CN.png``.
"""

from __future__ import annotations

from pathlib import Path

from test_report_browser import chromium, png_size, run

from optimizer.model import Batch
from optimizer.plan import Plan
from optimizer.report.runsheets import render_runsheets_html

SHOTS = Path(__file__).resolve().parents[1] / "docs" / "screenshots"


def test_runsheet_screenshot_and_print(solved: tuple[Batch, Plan], tmp_path: Path) -> None:
    browser = chromium()
    batch, plan = solved
    page = tmp_path / "runsheets.html"
    page.write_text(render_runsheets_html(batch, plan, "zh-CN"), encoding="utf-8")
    SHOTS.mkdir(parents=True, exist_ok=True)
    shot = SHOTS / "runsheet-zh-CN.png"
    shot.unlink(missing_ok=True)
    run(browser, tmp_path / "profile", "--virtual-time-budget=2000", f"--screenshot={shot}",
        "--window-size=1280,1600", page.as_uri())
    assert shot.is_file() and png_size(shot) == (1280, 1600)
    assert shot.stat().st_size > 50_000  # text and tables, not a blank page
    pdf = tmp_path / "print.pdf"  # the browser's own print of the page, with the print CSS
    run(browser, tmp_path / "profile", f"--print-to-pdf={pdf}", "--no-pdf-header-footer",
        page.as_uri())
    assert pdf.read_bytes().startswith(b"%PDF-")
