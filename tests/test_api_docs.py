"""``/docs`` and ``/redoc`` work offline: headless Chromium, with every host but loopback
unreachable, renders each operation of the OpenAPI document from the vendored assets.

Needs Debian's ``chromium``; skipped when there is none. The screenshot of ``/docs`` is
saved to ``docs/screenshots/api-docs.png`` (shown in README).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
from test_report_browser import FLAGS

from api.testing.helpers import Server

REPO = Path(__file__).resolve().parents[1]
SCREENSHOT = REPO / "docs" / "screenshots" / "api-docs.png"
# Nothing but loopback: no name resolves (the server is 127.0.0.1), and every request not
# to loopback goes to a proxy on the discard port, where nothing listens.
OFFLINE = [
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--proxy-server=http://127.0.0.1:9",
]
CDN = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"


def _browser() -> str:
    for name in (os.environ.get("FRESHROUTE_CHROMIUM"), "chromium", "chromium-browser"):
        path = shutil.which(name) if name else None
        if path:
            return path
    pytest.skip("headless Chromium is not installed (Debian: apt-get install -y chromium)")


def _chromium(browser: str, profile: Path, *args: str) -> str:
    """Run headless Chromium offline; its stdout (the DOM with ``--dump-dom``)."""
    cmd = [browser, *FLAGS, *OFFLINE, f"--user-data-dir={profile}", *args]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


@pytest.fixture(scope="module")
def browser() -> str:
    return _browser()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Server:
    db = tmp_path_factory.mktemp("docs") / "docs.db"
    with Server(f"sqlite:///{db}", workers=0) as running:
        yield running


@pytest.fixture(scope="module")
def operations(server: Server) -> list[tuple[str, str]]:
    """(first tag, operationId) of every operation in the served OpenAPI document."""
    spec = httpx.get(f"{server.url}/openapi.json", timeout=10).json()
    found = [
        (op["tags"][0], op["operationId"])
        for item in spec["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op
    ]
    assert len(found) >= 14  # 3 operational + 11 under /v1
    return found


def test_the_network_is_blocked_for_the_browser(browser: str, tmp_path: Path) -> None:
    """The check is not vacuous: with these flags the CDN the default pages use is out of
    reach, so a page loading Swagger UI from it would render nothing."""
    dom = _chromium(browser, tmp_path / "profile", "--virtual-time-budget=3000", "--dump-dom", CDN)
    assert "SwaggerUIBundle" not in dom


def test_swagger_ui_renders_every_operation_offline(
    browser: str, server: Server, operations: list[tuple[str, str]], tmp_path: Path
) -> None:
    dom = _chromium(
        browser,
        tmp_path / "profile",
        "--virtual-time-budget=15000",
        "--dump-dom",
        f"{server.url}/docs",
    )
    rendered = set(re.findall(r'id="operations-([\w-]+)"', dom))
    missing = [op for op in operations if f"{op[0]}-{op[1]}" not in rendered]
    assert not missing, f"not rendered: {missing}; rendered: {sorted(rendered)}"
    assert 'data-path="/v1/batches"' in dom

    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    SCREENSHOT.unlink(missing_ok=True)
    _chromium(
        browser,
        tmp_path / "profile",
        "--virtual-time-budget=15000",
        "--window-size=1280,1000",
        f"--screenshot={SCREENSHOT}",
        f"{server.url}/docs",
    )
    assert SCREENSHOT.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_redoc_renders_every_operation_offline(
    browser: str, server: Server, operations: list[tuple[str, str]], tmp_path: Path
) -> None:
    dom = _chromium(
        browser,
        tmp_path / "profile",
        "--virtual-time-budget=15000",
        "--dump-dom",
        f"{server.url}/redoc",
    )
    rendered = set(re.findall(r'id="(?:tag/[^"/]+/)?operation/([\w-]+)"', dom))
    missing = [op_id for _, op_id in operations if op_id not in rendered]
    assert not missing, f"not rendered: {missing}; rendered: {sorted(rendered)[:5]}"
