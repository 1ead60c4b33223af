"""Timeline chart: each vehicle over the day, split into driving, service and waiting,
with drivers' rests and meal breaks drawn over them.

Drawn on a matplotlib Figure with the Agg canvas (no display, no pyplot global state).
``timeline_png`` gives PNG bytes (the run sheets embed them as base64), ``timeline_svg``
inline SVG text, and ``write_timeline_png`` a file. Chinese labels need a CJK font
(Debian: ``fonts-noto-cjk``); without one the chart falls back to English labels rather
than draw empty boxes.
"""

from __future__ import annotations

import io
import logging
from functools import cache
from pathlib import Path

from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MultipleLocator

from optimizer.i18n import normalize_lang, t
from optimizer.model import Batch, format_clock
from optimizer.plan import Plan, Route
from optimizer.report.data import route_color

log = logging.getLogger(__name__)

# Driving bars take the route colour; rests are drawn over the span they fall in.
COLORS = {"service": "#2B2B2B", "waiting": "#D9D9D9", "rest": "#009E73"}
_CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "SimHei",
    "PingFang SC",
    "Noto Sans CJK JP",
)
_CJK_FILE_HINTS = ("notosanscjk", "notoserifcjk", "sourcehansans", "wqy", "simhei", "msyh")


@cache
def cjk_font_family() -> str | None:
    """A font family with Chinese glyphs known to matplotlib, registering system ones once."""
    known = {f.name for f in font_manager.fontManager.ttflist}
    for family in _CJK_FAMILIES:
        if family in known:
            return family
    # The font cache may predate a font package installed later: register the files.
    for path in font_manager.findSystemFonts():
        if any(hint in Path(path).name.lower().replace("-", "") for hint in _CJK_FILE_HINTS):
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):
                continue
    known = {f.name for f in font_manager.fontManager.ttflist}
    return next((f for f in _CJK_FAMILIES if f in known), None)


def segments(route: Route) -> dict[str, list[tuple[float, float]]]:
    """``(start, length)`` minutes of driving, waiting and service along a route, and of
    its rests (which lie within those spans)."""
    out: dict[str, list[tuple[float, float]]] = {
        "driving": [],
        "waiting": [],
        "service": [],
        "rest": [(r.start, r.end - r.start) for r in route.rests],
    }
    stops = route.stops
    for i, stop in enumerate(stops):
        if stop.start - stop.arrival > 1e-6:
            out["waiting"].append((stop.arrival, stop.start - stop.arrival))
        if stop.departure - stop.start > 1e-6:
            out["service"].append((stop.start, stop.departure - stop.start))
        if i + 1 < len(stops) and stops[i + 1].arrival - stop.departure > 1e-6:
            out["driving"].append((stop.departure, stops[i + 1].arrival - stop.departure))
    return out


def timeline_figure(
    batch: Batch, plan: Plan, lang: str = "zh-CN", *, vehicles: list[str] | None = None
) -> Figure:
    """The chart as a matplotlib Figure: one row per vehicle (or only ``vehicles``)."""
    code = normalize_lang(lang)
    family = cjk_font_family() if code == "zh-CN" else None
    if code == "zh-CN" and family is None:
        log.warning("no CJK font for the timeline (install fonts-noto-cjk); using English")
        code = "en"
    colors = {r.vehicle: route_color(i) for i, r in enumerate(plan.routes)}
    routes = [r for r in plan.routes if vehicles is None or r.vehicle in vehicles]
    single = vehicles is not None and len(routes) == 1
    height = 0.9 if single else 1.2 + 0.42 * max(1, len(routes))
    fig = Figure(figsize=(11, height), dpi=110)
    FigureCanvasAgg(fig)  # Agg: no display, no pyplot state shared with other code
    ax = fig.add_subplot()
    for row, route in enumerate(routes):
        parts = segments(route)
        ax.broken_barh(parts["driving"], (row - 0.3, 0.6), facecolors=colors[route.vehicle])
        ax.broken_barh(
            parts["waiting"],
            (row - 0.3, 0.6),
            facecolors=COLORS["waiting"],
            hatch="///",
            edgecolor="#999999",
            linewidth=0,
        )
        ax.broken_barh(parts["service"], (row - 0.3, 0.6), facecolors=COLORS["service"])
        ax.broken_barh(parts["rest"], (row - 0.2, 0.4), facecolors=COLORS["rest"])
    starts = [r.stops[0].arrival for r in routes] or [360.0]
    ends = [r.stops[-1].departure for r in routes] or [1080.0]
    lo, hi = 60 * (min(starts) // 60), 60 * (-(-max(ends) // 60))
    ax.set_xlim(lo, max(hi, lo + 60))
    ax.set_ylim(max(len(routes), 1) - 0.5, -0.5)
    ax.set_yticks(range(len(routes)), [r.vehicle for r in routes])
    ax.xaxis.set_major_locator(MultipleLocator(60 if hi - lo <= 16 * 60 else 120))
    ax.xaxis.set_minor_locator(MultipleLocator(15))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: format_clock(x)))
    ax.grid(axis="x", color="#e5e5e5", linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    handles = [
        Patch(facecolor="#0072B2", label=t("tl.driving", code)),
        Patch(facecolor=COLORS["service"], label=t("tl.service", code)),
        Patch(
            facecolor=COLORS["waiting"],
            hatch="///",
            edgecolor="#999999",
            label=t("tl.waiting", code),
        ),
    ]
    if any(r.rests for r in routes):
        handles.append(Patch(facecolor=COLORS["rest"], label=t("tl.rest", code)))
    prop = font_manager.FontProperties(family=[family, "DejaVu Sans"] if family else None, size=8)
    if not single:
        ax.legend(
            handles=handles,
            loc="lower right",
            ncols=len(handles),
            frameon=False,
            bbox_to_anchor=(1.0, 1.0),
            prop=prop,
        )
        ax.set_title(t("tl.title", code), loc="left", fontproperties=prop, fontsize=11)
        ax.set_xlabel(t("tl.time", code), fontproperties=prop)
    for label in (*ax.get_xticklabels(), *ax.get_yticklabels()):
        label.set_fontproperties(prop)
    fig.tight_layout()
    return fig


def timeline_png(
    batch: Batch, plan: Plan, lang: str = "zh-CN", *, vehicles: list[str] | None = None
) -> bytes:
    """The timeline as PNG bytes."""
    buf = io.BytesIO()
    timeline_figure(batch, plan, lang, vehicles=vehicles).savefig(buf, format="png")
    return buf.getvalue()


def timeline_svg(
    batch: Batch, plan: Plan, lang: str = "zh-CN", *, vehicles: list[str] | None = None
) -> str:
    """The timeline as an inline ``<svg>`` element (text kept as paths, so fonts travel)."""
    buf = io.StringIO()
    timeline_figure(batch, plan, lang, vehicles=vehicles).savefig(buf, format="svg")
    text = buf.getvalue()
    return text[text.index("<svg") :]


def write_timeline_png(batch: Batch, plan: Plan, path: Path, lang: str = "zh-CN") -> Path:
    """Write the whole day's timeline to ``path``."""
    path = Path(path)
    path.write_bytes(timeline_png(batch, plan, lang))
    return path
