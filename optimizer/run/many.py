"""Many batches at once (``freshroute solve-many``): one task per batch, on an executor.

The driver reads and checks every batch file and builds its travel matrices once (a bad
file is reported and the others go on); each task plans one batch within its own time
limit on one CPU, with the matrices shared (``Executor.share``); the driver writes each
plan and its reports when the task is done, so a retried task's plan is written once.
"""

from __future__ import annotations

import csv
import io
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from optimizer.errors import Joined, Rendered, in_lang
from optimizer.i18n import normalize_lang, t
from optimizer.io.batch_file import InputFileError, read_batch_file
from optimizer.model import Batch
from optimizer.network import TravelMatrices, given_travel, travel_matrices
from optimizer.network.errors import RoadNetworkError
from optimizer.plan import Plan
from optimizer.routing.feasibility import InfeasibleBatch
from optimizer.run.executor import Executor, Task
from optimizer.run.outputs import write_plan_files

# Test hook: "NAME:N:DIR" makes the task of batch NAME kill its worker (os._exit) on its
# first N attempts, counting attempts in files under DIR.
CRASH_HOOK_ENV = "FRESHROUTE_TEST_CRASH"


@dataclass(frozen=True)
class SolveSpec:
    """One batch to plan, as sent to a worker."""

    name: str
    batch: Batch
    time_limit_s: float
    engine: str = "auto"
    baseline: bool | None = None
    crash: tuple[int, str] | None = None  # the test hook: (attempts to kill, count dir)


@dataclass
class Solved:
    """A worker's answer: the plan, or why the batch cannot be planned (bad input)."""

    name: str
    plan: Plan | None = None
    errors: list[str] = field(default_factory=list)
    wall_s: float = 0.0


def _crash_if_asked(spec: SolveSpec) -> None:
    if spec.crash is None:
        return
    times, folder = spec.crash
    attempt = 1 + sum(1 for p in Path(folder).glob(f"{spec.name}.attempt*"))
    (Path(folder) / f"{spec.name}.attempt{attempt}").touch()
    if attempt <= times:
        os._exit(70)


def solve_one(spec: SolveSpec, travel: TravelMatrices) -> Solved:
    """The task: plan one batch on the shared matrices (within its time limit)."""
    _crash_if_asked(spec)
    started = time.perf_counter()
    try:
        with given_travel(spec.batch, travel):
            plan = _plan(spec)
    except InfeasibleBatch as e:
        lines: list[str] = [Rendered(i.line) for i in e.issues]  # in either language
        return Solved(spec.name, errors=lines, wall_s=time.perf_counter() - started)
    return Solved(spec.name, plan, wall_s=time.perf_counter() - started)


def _plan(spec: SolveSpec) -> Plan:
    from optimizer.routing.solve import plan_batch

    return plan_batch(
        spec.batch, time_limit_s=spec.time_limit_s, baseline=spec.baseline, engine=spec.engine
    )


def batch_files(paths: Sequence[Path]) -> list[Path]:
    """The batch files named: files as given, folders as their ``*.json`` files."""
    files: list[Path] = []
    for p in paths:
        files += sorted(p.glob("*.json")) if p.is_dir() else [p]
    return files


@dataclass
class Row:
    """One line of the summary: a batch's outcome."""

    county: str
    status: str  # ok, unserved (required orders left out), bad input, failed
    cost: float | None = None
    km: float | None = None
    empty_km: float | None = None
    vehicles: int | None = None
    unserved: int | None = None
    wall_s: float | None = None
    attempts: int | None = None
    error: str = ""

    @classmethod
    def of(cls, solved: Solved, attempts: int | None, lang: str = "en") -> Row:
        if solved.plan is None:
            return cls(
                solved.name,
                "bad input",
                error=in_lang(Joined(solved.errors), lang),
                wall_s=solved.wall_s,
                attempts=attempts,
            )
        k = solved.plan.kpis
        return cls(
            solved.name,
            "unserved" if k.required_unassigned else "ok",
            k.total_cost,
            k.km,
            k.empty_km,
            k.vehicles_used,
            k.orders_unassigned,
            solved.wall_s,
            attempts,
        )


COLUMNS = (
    "county",
    "status",
    "cost",
    "km",
    "empty_km",
    "vehicles",
    "unserved",
    "wall_s",
    "attempts",
    "error",
)


def _cell(value: object, markdown: bool) -> str:
    if value is None:
        return "-" if markdown else ""
    if isinstance(value, float):
        return f"{value:,.1f}" if markdown else f"{value:.3f}"
    text = str(value)
    return text.replace("|", "\\|").replace("\n", " ") if markdown else text


def _header(lang: str) -> list[str]:
    """The summary's column names: in English the field names above (scripts read them),
    in Chinese the terminal table's labels."""
    if normalize_lang(lang) == "en":
        return list(COLUMNS)
    return [t(f"many.col.{c}", lang) for c in COLUMNS]


def _cells(row: Row, markdown: bool, lang: str) -> list[str]:
    """A row's cells; its status in ``lang`` (English: the status itself)."""
    cells = [_cell(getattr(row, c), markdown) for c in COLUMNS]
    cells[COLUMNS.index("status")] = t(f"many.status.{row.status}", lang)
    return cells


def summary_csv(rows: Sequence[Row], lang: str = "en") -> str:
    """The summary as CSV, headers and statuses in ``lang``."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(_header(lang))
    for r in rows:
        writer.writerow(_cells(r, False, lang))
    return buf.getvalue()


def summary_markdown(rows: Sequence[Row], lang: str = "en") -> str:
    """The summary as a Markdown table, headers and statuses in ``lang``."""
    lines = ["| " + " | ".join(_header(lang)) + " |", "|---|---|" + "---:|" * 7 + "---|"]
    for r in rows:
        lines.append("| " + " | ".join(_cells(r, True, lang)) + " |")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Options:
    """How ``solve_many`` plans and writes (the CLI's options)."""

    out_dir: Path
    time_limit_s: float | None = None
    seed: int | None = None
    engine: str = "auto"
    baseline: bool | None = None
    report: bool = True
    lang: str = "zh-CN"  # of the reports
    tiles: str | None = None
    messages: str = "en"  # language of the summary's headers, statuses and errors


def _crash_hook() -> tuple[str, int, str] | None:
    raw = os.environ.get(CRASH_HOOK_ENV)
    if not raw:
        return None
    name, times, folder = raw.split(":", 2)
    return name, int(times), folder


def solve_many(
    paths: Sequence[Path],
    executor: Executor,
    options: Options,
    on_row: Callable[[Row], None] | None = None,
    on_warning: Callable[[str, str], None] | None = None,
) -> list[Row]:
    """Plan every batch file on ``executor``; write each plan under
    ``out_dir/<batch name>/`` and the summary as ``out_dir/summary.csv`` and ``.md``.

    Rows come in the order of ``paths``; ``on_row`` hears each as it is known, and
    ``on_warning`` each road-network warning (a ``Said``) with its batch's name."""
    rows: dict[str, Row] = {}
    loaded: dict[str, tuple[Batch, TravelMatrices]] = {}
    hook = _crash_hook()
    names = [p.stem for p in paths]

    def done(row: Row) -> None:
        rows[row.county] = row
        if on_row is not None:
            on_row(row)

    def tasks() -> Iterator[Task]:
        """Each good batch's task, prepared as the executor takes it (a bad one is
        reported instead): reading and matrices overlap the solving of earlier ones."""
        for path, name in zip(paths, names, strict=True):
            if names.count(name) > 1:
                error = t("many.same_name", options.messages, path=path, name=name)
                done(Row(name, "bad input", error=error))
                continue
            try:
                batch = read_batch_file(path, options.messages)
                travel = travel_matrices(batch)  # once per batch: shared with its task
            except InputFileError as e:
                done(Row(name, "bad input", error=f"{e.title}: " + "; ".join(e.lines)))
                continue
            except RoadNetworkError as e:
                error = f"{t('error.roads', options.messages)}: {e.text(options.messages)}"
                done(Row(name, "bad input", error=error))
                continue
            for warning in travel.warnings if on_warning is not None else []:
                on_warning(name, warning)
            if options.seed is not None:
                batch.options.seed = options.seed
            limit = options.time_limit_s or batch.options.time_limit_s
            crash = hook[1:] if hook and hook[0] == name else None
            spec = SolveSpec(name, batch, limit, options.engine, options.baseline, crash)
            bare = TravelMatrices(travel.site_ids, travel.km, travel.minutes)  # no geometry
            loaded[name] = (batch, travel)
            yield Task(name, solve_one, (spec, executor.share(bare)))

    for outcome in executor.run(tasks()):
        if outcome.error is not None:
            error = in_lang(outcome.error, options.messages)
            done(Row(outcome.key, "failed", error=error, attempts=outcome.attempts))
            continue
        solved: Solved = outcome.value
        if solved.plan is not None:
            batch, travel = loaded[solved.name]
            write_plan_files(
                batch,
                solved.plan,
                options.out_dir / solved.name,
                travel=travel,
                report=options.report,
                lang=options.lang,
                tiles=options.tiles,
            )
        done(Row.of(solved, outcome.attempts, options.messages))
    ordered = [rows[n] for n in dict.fromkeys(names)]
    options.out_dir.mkdir(parents=True, exist_ok=True)
    summary = summary_csv(ordered, options.messages)
    bom = normalize_lang(options.messages) == "zh-CN"  # so that Excel reads the Chinese
    (options.out_dir / "summary.csv").write_text(summary, encoding="utf-8-sig" if bom else "utf-8")
    summary = summary_markdown(ordered, options.messages)
    (options.out_dir / "summary.md").write_text(summary, encoding="utf-8")
    return ordered
