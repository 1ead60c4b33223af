"""The self-contained Leaflet page shared by the route map and the siting map.

Both pages inline Leaflet (``vendor/``, BSD-2-Clause), the shared page script
(``assets/common.js``) and their own script and styles, and carry their data as JSON in
the page, so they open from a file with no network. A ``#render-status`` element starts as
``pending``; the page script fills it in when drawing is done, for browser tests.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path

from optimizer.i18n import t

HERE = Path(__file__).resolve().parent
VENDOR = HERE / "vendor"
ASSETS = HERE / "assets"

# Collects script errors (and console.error) so the status element can report them.
ERROR_HOOK = """
window.__errors = [];
window.addEventListener("error", function (e) {
  window.__errors.push(String(e.message || e.type) + (e.filename ? " @" + e.lineno : ""));
});
window.addEventListener("unhandledrejection", function (e) {
  window.__errors.push(String(e.reason));
});
(function () {
  var original = console.error;
  console.error = function () {
    window.__errors.push(Array.prototype.join.call(arguments, " "));
    return original.apply(console, arguments);
  };
})();
"""

# Labels every page script reads (legend heading, plain-background note, icon letters).
COMMON_LABELS = ("legend", "no_tiles", "hub_letter", "centre_letter")


@cache
def asset(path: Path) -> str:
    """A vendored or own asset's text (read once)."""
    return path.read_text(encoding="utf-8")


def leaflet_css() -> str:
    """Leaflet's CSS without its image URLs: our icons are inline SVG, so nothing is fetched."""
    return re.sub(r"url\(images/[^)]*\)", "none", asset(VENDOR / "leaflet.css"))


def leaflet_js() -> str:
    """Leaflet's JS without the source-map comment, so developer tools ask for nothing."""
    return re.sub(r"//# sourceMappingURL=\S+\s*$", "", asset(VENDOR / "leaflet.js"))


def script_json(data: object) -> str:
    """JSON safe inside a <script> element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def esc(value: object) -> str:
    """HTML-escaped text; ``None`` is empty."""
    return html.escape("" if value is None else str(value))


def bounds(points: Iterable[tuple[float, float]]) -> list[list[float]]:
    """``[[south, west], [north, east]]`` of (lat, lon) points, as Leaflet takes them."""
    pts = list(points)
    lats = [p[0] for p in pts]
    lons = [p[1] for p in pts]
    return [[min(lats), min(lons)], [max(lats), max(lons)]]


def tiles_option(url: str | None, attribution: str = "") -> dict[str, str] | None:
    """The optional base-tile layer; ``None`` draws on a plain background."""
    return {"url": url, "attribution": attribution} if url else None


def common_labels(lang: str) -> dict[str, str]:
    """The ``map.*`` labels the shared script uses, plus the attribution prefix."""
    return {key: t(f"map.{key}", lang) for key in COMMON_LABELS} | {
        "attribution_prefix": t("map.attribution", lang)
    }


def leaflet_page(
    *,
    lang: str,
    title: str,
    data: object,
    data_id: str,
    script: str,
    css: str = "",
    status: Mapping[str, object] | None = None,
) -> str:
    """One HTML page: Leaflet, ``common.js`` and ``script`` (an asset file name) inlined.

    ``data`` goes into ``<script type="application/json" id=data_id>``; ``status`` adds
    ``data-*`` attributes (e.g. what the page is expected to draw) to ``#render-status``.
    """
    attrs = {"status": "pending", **(status or {}), "errors": 0}
    status_attrs = " ".join(f'data-{k}="{esc(v)}"' for k, v in attrs.items())
    styles = [f"<style>{leaflet_css()}</style>", f"<style>{asset(ASSETS / 'map.css')}</style>"]
    if css:
        styles.append(f"<style>{asset(ASSETS / css)}</style>")
    return "\n".join(
        [
            "<!DOCTYPE html>",
            f'<html lang="{lang}"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{esc(title)}</title>",
            f"<script>{ERROR_HOOK}</script>",
            *styles,
            "</head><body>",
            '<div id="map"></div>',
            f'<div id="render-status" hidden {status_attrs}></div>',
            f'<script type="application/json" id="{data_id}">{script_json(data)}</script>',
            f"<script>{leaflet_js()}</script>",
            f"<script>{asset(ASSETS / 'common.js')}\n{asset(ASSETS / script)}</script>",
            "</body></html>",
        ]
    )
