"""Write a re-plan's files: the day's batch and plan, and what changed."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from optimizer.model import Batch
from optimizer.plan import Plan
from optimizer.replan.changes import changes_markdown
from optimizer.replan.events import Events
from optimizer.replan.residual import ReplanInputError
from optimizer.replan.solve import Replanned, replan
from optimizer.routing.feasibility import InfeasibleBatch
from optimizer.run.outputs import write_plan_files

__all__ = ["ReplanInputError", "run_replan", "write_replan"]


def write_replan(out_dir: Path, result: Replanned, lang: str, report: bool = True) -> list[Path]:
    """``day.json`` (the batch the plan is for: the old batch with the events applied),
    ``changes.json``, ``changes.md`` (in ``lang``), then as ``solve`` writes them
    ``plan.json`` (the whole day, done stops included), ``plan.geojson`` and (``report``)
    the map, timeline and run sheets, which mark what changed for each driver."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {
        "day.json": result.day.model_dump_json(indent=2, by_alias=True),
        "changes.json": result.changes.model_dump_json(indent=2),
        "changes.md": changes_markdown(result.changes, result.plan, lang),
    }
    for name, text in files.items():
        (out_dir / name).write_text(text.rstrip("\n") + "\n", encoding="utf-8")
    plan_files = write_plan_files(
        result.day,
        result.plan,
        out_dir,
        travel=result.residual.day_travel,
        after=result.residual.after_now(),
        report=report,
        lang=lang,
        changes=result.changes,
    )
    return [out_dir / name for name in files] + plan_files


def run_replan(
    batch: Batch,
    plan: Plan,
    events_data: object,
    time_limit_s: float | None,
    engine: str,
    out_dir: Path,
    lang: str,
    report: bool = True,
) -> tuple[Replanned, list[Path]]:
    """Validate the events, re-plan and write the files (in ``lang``; ``report``: with
    the map, timeline and run sheets); every input problem is a ``ReplanInputError``
    naming the field and the reason."""
    try:
        events = Events.model_validate(events_data)
    except ValidationError as e:
        raise ReplanInputError.invalid(e, ("events",)) from None
    try:
        result = replan(batch, plan, events, time_limit_s=time_limit_s, engine=engine)
    except InfeasibleBatch as e:
        raise ReplanInputError(
            [(i.path + ("" if i.order is None else f" ({i.order})"), i.text) for i in e.issues]
        ) from None
    return result, write_replan(out_dir, result, lang, report)
