"""The route map in a real browser: headless Chromium draws every route with no script error.

Needs Debian's ``chromium`` (``apt-get install -y chromium``; ``fonts-noto-cjk`` for the
Chinese text in the screenshot). A missing browser fails the test; set
``FRESHROUTE_SKIP_BROWSER=1`` to skip it on purpose. Screenshots go to ``out/map.png`` and
``out/map-popup.png`` for a person to look at.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from optimizer.model import Batch, read_batch
from optimizer.plan import Plan
from optimizer.report.map import write_map
from optimizer.routing.solve import plan_batch

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "out"
DEMO = REPO / "scenarios" / "demo-county.json"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
]


def chromium() -> str:
    """The browser to use, failing loudly when there is none (unless skipping on purpose)."""
    if os.environ.get("FRESHROUTE_SKIP_BROWSER") == "1":
        pytest.skip("FRESHROUTE_SKIP_BROWSER=1: browser test skipped on purpose")
    for name in (os.environ.get("FRESHROUTE_CHROMIUM"), "chromium", "chromium-browser"):
        path = shutil.which(name) if name else None
        if path:
            return path
    pytest.fail(
        "headless Chromium is needed to test the route map: run `apt-get install -y chromium` "
        "(Debian), or set FRESHROUTE_SKIP_BROWSER=1 to skip this test explicitly"
    )


def run(browser: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    cmd = [browser, *FLAGS, f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


def render_status(dom: str) -> dict[str, str]:
    match = re.search(r'<div id="render-status"([^>]*)>(.*?)</div>', dom, re.S)
    assert match, "the page wrote no #render-status element"
    attrs = dict(re.findall(r'data-([\w-]+)="([^"]*)"', match[1]))
    attrs["text"] = match[2]
    return attrs


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


@pytest.fixture(scope="module")
def browser() -> str:
    return chromium()


@pytest.fixture(scope="module")
def demo() -> tuple[Batch, Plan]:
    batch = read_batch(DEMO)
    return batch, plan_batch(batch, time_limit_s=2, baseline=True)


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
def test_map_draws_every_route_without_errors(
    browser: str, demo: tuple[Batch, Plan], tmp_path: Path, lang: str
) -> None:
    batch, plan = demo
    OUT.mkdir(exist_ok=True)
    page = write_map(batch, plan, OUT / f"map-{lang}.html", lang)
    result = run(browser, tmp_path / "profile", "--enable-logging=stderr", "--v=0",
                 "--virtual-time-budget=3000", "--dump-dom", page.as_uri())
    assert result.returncode == 0, result.stderr[-2000:]
    status = render_status(result.stdout)
    assert status["status"] == "ok", status["text"]
    assert status["errors"] == "0", status["text"]
    assert int(status["routes-drawn"]) == len(plan.routes) == int(status["routes-expected"])
    assert int(status["arrows"]) >= sum(len(r.stops) - 1 for r in plan.routes) // 2
    console = [line for line in result.stderr.splitlines()
               if "CONSOLE" in line and re.search(r"Uncaught|Error", line)]
    assert not console, console

    if lang != "zh-CN":
        return
    shot = OUT / "map.png"
    shot.unlink(missing_ok=True)
    run(browser, tmp_path / "profile", "--virtual-time-budget=2000", f"--screenshot={shot}",
        "--window-size=1280,900", page.as_uri())
    assert shot.is_file() and shot.stat().st_size > 20_000
    assert png_size(shot) == (1280, 900)
    kinds: dict[str, set[str]] = {}
    for order in batch.orders:
        kinds.setdefault(order.site, set()).add(order.kind)
    station = next((s for s, k in kinds.items() if len(k) == 2), batch.orders[0].site)
    popup = OUT / "map-popup.png"
    run(browser, tmp_path / "profile", "--virtual-time-budget=2000", f"--screenshot={popup}",
        "--window-size=1280,900", f"{page.as_uri()}#site={station}")
    assert popup.is_file() and png_size(popup) == (1280, 900)


def test_a_script_error_is_reported_not_hidden(
    browser: str, demo: tuple[Batch, Plan], tmp_path: Path
) -> None:
    """The status check is not vacuous: broken data shows up as an error and no routes."""
    batch, plan = demo
    page = write_map(batch, plan, tmp_path / "broken.html", "en")
    html = page.read_text(encoding="utf-8")
    page.write_text(html.replace('"routes":[', '"routes":7,"unused":[', 1), encoding="utf-8")
    result = run(browser, tmp_path / "profile", "--dump-dom", page.as_uri())
    status = render_status(result.stdout)
    assert status["status"] == "error" and status["errors"] == "1"
    assert status["routes-drawn"] == "0" and "forEach" in status["text"]
