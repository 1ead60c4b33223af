"""The files of a solved batch: what ``solve`` writes, and ``solve-many`` per batch."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from optimizer.geojson import plan_geojson
from optimizer.model import Batch
from optimizer.network import TravelMatrices, travel_matrices
from optimizer.plan import Plan
from optimizer.report import write_reports

if TYPE_CHECKING:
    from optimizer.replan.changes import Changes
    from optimizer.validate import Changed


def _write_once(path: Path, text: str) -> None:
    """Write ``path`` atomically (a temporary file renamed): never half a file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def write_plan_files(
    batch: Batch,
    plan: Plan,
    out_dir: Path,
    *,
    travel: TravelMatrices | None = None,
    report: bool = True,
    lang: str = "zh-CN",
    tiles: str | None = None,
    changes: Changes | None = None,
    after: Changed | None = None,
) -> list[Path]:
    """Write plan.json, plan.geojson and (``report``) the reports to ``out_dir``; the
    paths written. ``travel``: the batch's matrices when already built (road legs);
    ``changes``: a re-plan's, marked on the run sheets; ``after``: a re-plan's closed
    roads, which the legs after now are drawn around."""
    travel = travel if travel is not None else travel_matrices(batch)
    out_dir.mkdir(parents=True, exist_ok=True)
    _write_once(out_dir / "plan.json", plan.model_dump_json(indent=2, by_alias=True) + "\n")
    geojson = plan_geojson(batch, plan, travel, after)
    _write_once(out_dir / "plan.geojson", json.dumps(geojson, ensure_ascii=False) + "\n")
    written = [out_dir / "plan.json", out_dir / "plan.geojson"]
    if report:
        written += write_reports(
            batch,
            plan,
            out_dir,
            lang,
            tiles_url=tiles,
            geojson=geojson,
            travel=travel,
            changes=changes,
        )
    return written
