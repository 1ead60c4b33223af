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

__all__ = ["ReplanInputError", "run_replan", "write_replan"]


def write_replan(out_dir: Path, result: Replanned, lang: str) -> list[Path]:
    """``day.json`` (the batch the plan is for: the old batch with the events applied),
    ``plan.json`` (the whole day, done stops included), ``changes.json`` and
    ``changes.md`` (in ``lang``)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {
        "day.json": result.day.model_dump_json(indent=2, by_alias=True),
        "plan.json": result.plan.model_dump_json(indent=2, by_alias=True),
        "changes.json": result.changes.model_dump_json(indent=2),
        "changes.md": changes_markdown(result.changes, result.plan, lang),
    }
    for name, text in files.items():
        (out_dir / name).write_text(text.rstrip("\n") + "\n", encoding="utf-8")
    return [out_dir / name for name in files]


def run_replan(
    batch: Batch,
    plan: Plan,
    events_data: object,
    time_limit_s: float | None,
    engine: str,
    out_dir: Path,
    lang: str,
) -> tuple[Replanned, list[Path]]:
    """Validate the events, re-plan and write the files (in ``lang``); every input
    problem is a ``ReplanInputError`` naming the field and the reason."""
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
    return result, write_replan(out_dir, result, lang)
