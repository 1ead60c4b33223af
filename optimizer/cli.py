"""The ``freshroute`` command line: solve, validate and generate batches.

Exit codes: 0 done; 1 a plan has violations (``validate``); 2 bad input, with a
message naming the field or order and the reason (``solve --strict``: also orders no
vehicle can serve); 3 planned, with required orders unserved (``solve``).
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from optimizer.cli_progress import SolveProgress
from optimizer.errors import Said, in_lang, input_errors
from optimizer.geojson import plan_geojson
from optimizer.i18n import KPI_ROWS, format_kpi, normalize_lang, t
from optimizer.io.batch_file import InputFileError, read_batch_file, read_json
from optimizer.io.spreadsheet import SpreadsheetError, import_batch
from optimizer.model import (
    MAX_SEED,
    MAX_TIME_LIMIT_S,
    Batch,
    format_clock,
)
from optimizer.network import travel_matrices
from optimizer.network.errors import RoadNetworkError
from optimizer.plan import KPIs, Plan
from optimizer.reasons import outcome_text
from optimizer.report import write_reports
from optimizer.routing.feasibility import InfeasibleBatch
from optimizer.routing.portfolio import ENGINES
from optimizer.routing.solve import plan_batch
from optimizer.run.outputs import write_plan_files
from optimizer.validate import format_violations, validate_plan

app = typer.Typer(
    help="freshroute: route and cold-chain planning for rural counties.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True, soft_wrap=True)


LangOption = Annotated[
    str | None,
    typer.Option(
        "--lang",
        envvar="FRESHROUTE_LANG",
        help="zh-CN or en: messages (default en) and reports (default zh-CN).",
    ),
]
TilesOption = Annotated[
    str | None,
    typer.Option("--tiles", help="Tile URL template for map.html (default: offline, no tiles)."),
]


def _msg_lang(lang: str | None) -> str:
    """Messages default to English; reports (for county staff) to Chinese."""
    return normalize_lang(lang) if lang else "en"


def _fail(lines: list[str], title: str, lang: str = "en") -> typer.Exit:
    err.print(f"[bold red]{t('error.prefix', lang)}[/] {title}")
    for line in lines:
        err.print(f"  - {line}", markup=False, highlight=False)
    return typer.Exit(2)


def _said(error: Exception, lang: str) -> str:
    """An error's message in ``lang`` where it carries one (``optimizer.errors.Said``)."""
    first = error.args[0] if error.args else None
    return in_lang(first, lang) if isinstance(first, Said) else str(error)


def _read_json(path: Path, what: str, lang: str = "en") -> Any:
    """``path`` parsed; ``what`` is ``batch`` or ``plan`` (``what.*`` in the catalogue)."""
    try:
        return read_json(path, what, lang)
    except InputFileError as e:
        raise _fail(e.lines, e.title, lang) from None


def load_batch_file(path: Path, lang: str = "en") -> Batch:
    """Read and validate a batch file (``read_batch_file``), exiting with code 2 on any
    input error; messages in ``lang``."""
    try:
        return read_batch_file(path, lang)
    except InputFileError as e:
        raise _fail(e.lines, e.title, lang) from None


def _load_plan(path: Path, lang: str) -> Plan:
    """Read and validate a plan file, exiting with code 2 on any input error."""
    try:
        return Plan.model_validate(_read_json(path, "plan", lang))
    except ValidationError as e:
        title = t("error.invalid_plan", lang, path=path)
        raise _fail(input_errors(e, lang), title, lang) from None


def _kpi_table(kpis: KPIs, baseline: KPIs | None, lang: str = "en") -> Table:
    table = Table(title=t("cli.kpi_title", lang), show_lines=False)
    table.add_column(t("cli.kpi", lang))
    table.add_column(t("cli.paired", lang), justify="right")
    if baseline is not None:
        table.add_column(t("cli.separate", lang), justify="right")
    for field, _ in KPI_ROWS:
        cells = [t(f"kpi.{field}", lang), format_kpi(field, getattr(kpis, field))]
        if baseline is not None:
            cells.append(format_kpi(field, getattr(baseline, field)))
        table.add_row(*cells)
    return table


def print_summary(plan: Plan, lang: str = "en", *, verbose: bool = False) -> None:
    """The KPI table, the routes one line each (``verbose``), and the orders not served."""
    base = plan.baseline.kpis if plan.baseline else None
    out.print(_kpi_table(plan.kpis, base, lang))
    for route in plan.routes if verbose else []:
        # Consecutive stops at one station (parcels, then produce) are one visit here.
        sites = " → ".join(site for site, _ in itertools.groupby(s.site for s in route.stops))
        out.print(
            f"[bold]{route.vehicle}[/] {format_clock(route.stops[0].start)}-"
            f"{format_clock(route.stops[-1].departure)} {route.km:.1f} km: {sites}",
            highlight=False,
        )
    left_out = [o for o in plan.orders if not o.served]
    if left_out:
        out.print(f"[yellow]{t('cli.unserved_title', lang, n=len(left_out))}[/]")
    for o in left_out:
        code = f" \\[{o.reason_code}]" if o.reason_code else ""
        out.print(
            f"  [yellow]{t('cli.unassigned', lang)}[/] {escape(o.order)}{code}: "
            f"{escape(outcome_text(o, lang))}",
            highlight=False,
        )


def final_line(plan: Plan, lang: str = "en") -> str:
    """The last line of a solve: the plan's cost, and what pairing saves."""
    cost = plan.kpis.total_cost
    if plan.baseline is None:
        return t("cli.final", lang, cost=cost)
    return t(
        "cli.final_saving",
        lang,
        cost=cost,
        baseline=plan.baseline.kpis.total_cost,
        saving=plan.baseline.cost_saving_share,
        empty_km=plan.baseline.empty_km_saving_share,
    )


EXIT_REQUIRED_UNSERVED = 3  # planned, with required orders unserved


@app.command()
def solve(
    batch_file: Annotated[Path, typer.Argument(help="Batch JSON (freshroute.batch/v1).")],
    time_limit: Annotated[
        float | None, typer.Option("--time-limit", help="Seconds (default: the batch's).")
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(min=0, max=MAX_SEED, help="Random seed (default: the batch's)."),
    ] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Where plan files go.")] = Path("out"),
    baseline: Annotated[
        bool | None,
        typer.Option("--baseline/--no-baseline", help="Also plan separate fleets to compare."),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress display.")] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", help="Also list the routes, one line each.")
    ] = False,
    engine: Annotated[
        str,
        typer.Option(
            help="auto (PyVRP routes, exact OR-Tools finish), ortools, pyvrp or native "
            "(freshroute's own exact-cost search)."
        ),
    ] = "auto",
    lang: LangOption = None,
    report: Annotated[
        bool,
        typer.Option("--report/--no-report", help="Also write map, run sheets and timeline."),
    ] = True,
    tiles: TilesOption = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="Read a benchmark file instead of a batch: solomon, vrplib, lkh or lilim.",
        ),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(help="Cores to use: 2 runs PyVRP and OR-Tools side by side.", min=1, max=2),
    ] = 1,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict", help="Refuse the batch (exit 2) when an order cannot be served at all."
        ),
    ] = False,
) -> None:
    """Plan one day's batch; writes plan.json, plan.geojson, map.html, run sheets and
    timeline.png to --out. Orders no vehicle can serve are left out with their reasons;
    exit code 3 when a required order is unserved."""
    msg = _msg_lang(lang)
    batch = load_batch_file(batch_file, msg) if fmt is None else _read_benchmark(batch_file, fmt)
    if time_limit is not None and not 0 < time_limit <= MAX_TIME_LIMIT_S:
        line = t("error.time_limit_option", msg, value=time_limit, max=MAX_TIME_LIMIT_S)
        raise _fail([line], t("error.bad_option", msg), msg)
    if engine not in ENGINES:
        line = t("error.engine_option", msg, value=engine, choices=", ".join(ENGINES))
        raise _fail([line], t("error.bad_option", msg), msg)
    if seed is not None:
        batch.options.seed = seed
    limit = time_limit if time_limit is not None else batch.options.time_limit_s
    with SolveProgress(err, limit, msg, enabled=not quiet) as shown:
        try:
            plan = plan_batch(
                batch,
                time_limit_s=limit,
                baseline=baseline,
                progress=shown.tracker,
                engine=engine,
                workers=workers,
                strict=strict,
            )
        except InfeasibleBatch as e:
            title = t(
                "error.infeasible"
                if all(i.leaves_out_order for i in e.issues)
                else "error.cannot_plan",
                msg,
            )
            lines = [
                f"{i.path}"
                + ("" if i.order is None else t("cli.issue_order", msg, order=i.order))
                + f": {i.text(msg)}"
                for i in e.issues
            ]
            raise _fail(lines, title, msg) from None
        except RoadNetworkError as e:
            raise _fail([e.text(msg)], t("error.roads", msg), msg) from None
    travel = travel_matrices(batch)  # cached on disk for road networks
    for warning in travel.warnings:
        err.print(f"[yellow]{t('cli.warning', msg)}[/] {warning}", highlight=False)
    written = write_plan_files(
        batch, plan, out_dir, travel=travel, report=report, lang=normalize_lang(lang), tiles=tiles
    )
    print_summary(plan, msg, verbose=verbose)
    out.print(t("cli.wrote", msg, files=", ".join(map(str, written))), highlight=False)
    out.print(final_line(plan, msg), highlight=False, soft_wrap=True)
    if plan.kpis.required_unassigned:
        err.print(
            f"[bold yellow]{t('cli.required_unserved', msg, n=plan.kpis.required_unassigned)}[/]",
            highlight=False,
        )
        raise typer.Exit(EXIT_REQUIRED_UNSERVED)


@app.command("replan")
def replan_cmd(
    batch_file: Annotated[Path, typer.Argument(help="The batch the plan was made for.")],
    plan_file: Annotated[Path, typer.Argument(help="The plan.json the day started with.")],
    events_file: Annotated[Path, typer.Argument(help="Events JSON (freshroute.events/v1).")],
    time_limit: Annotated[
        float | None, typer.Option("--time-limit", help="Seconds (default: the batch's).")
    ] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Where the files go.")] = Path("out"),
    engine: Annotated[str, typer.Option(help="As for solve.")] = "auto",
    lang: LangOption = None,
    report: Annotated[
        bool,
        typer.Option(
            "--report/--no-report", help="Also write map, run sheets (changes marked), timeline."
        ),
    ] = True,
) -> None:
    """Re-plan the day from now: done stops stay, trucks go on with what is on board,
    late orders, cancellations, breakdowns, delays and closed roads are taken in. Writes
    day.json, plan.json, plan.geojson, changes.json, changes.md and the reports (run
    sheets marking the changes) to --out; exit 3 when a required order is unserved."""
    from optimizer.replan.files import ReplanInputError, run_replan

    msg = _msg_lang(lang)
    batch = load_batch_file(batch_file, msg)
    plan = _load_plan(plan_file, msg)
    if time_limit is not None and not 0 < time_limit <= MAX_TIME_LIMIT_S:
        raise _fail(
            [f"--time-limit: {time_limit:g} s ∉ (0, {MAX_TIME_LIMIT_S:g}] s"],
            t("error.bad_option", msg),
            msg,
        )
    if engine not in ENGINES:
        lines = [f"--engine: '{engine}' ∉ {', '.join(ENGINES)}"]
        raise _fail(lines, t("error.bad_option", msg), msg)
    events = _read_json(events_file, "events", msg)
    try:
        result, written = run_replan(
            batch, plan, events, time_limit, engine, out_dir, normalize_lang(lang), report
        )
    except ReplanInputError as e:
        raise _fail(e.lines(msg), t("error.invalid_events", msg, path=events_file), msg) from None
    print_summary(result.plan, msg)
    out.print(t("cli.wrote", msg, files=", ".join(map(str, written))), highlight=False)
    if result.plan.kpis.required_unassigned:
        n = result.plan.kpis.required_unassigned
        err.print(f"[bold yellow]{t('cli.required_unserved', msg, n=n)}[/]", highlight=False)
        raise typer.Exit(EXIT_REQUIRED_UNSERVED)


@app.command("solve-many")
def solve_many(
    batches: Annotated[
        list[Path], typer.Argument(help="Batch JSON files, or folders of them (*.json).")
    ],
    executor: Annotated[
        str, typer.Option(help="local (processes on this machine) or ray.")
    ] = "local",
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="Batches solved at once (default: the cores; ray: its CPUs)."),
    ] = None,
    ray_address: Annotated[
        str | None,
        typer.Option(
            "--ray-address",
            envvar="RAY_ADDRESS",
            help="An existing Ray cluster (default: Ray embedded on this machine).",
        ),
    ] = None,
    time_limit: Annotated[
        float | None, typer.Option("--time-limit", help="Seconds per batch (default: its own).")
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(min=0, max=MAX_SEED, help="Random seed (default: each batch's)."),
    ] = None,
    out_dir: Annotated[
        Path, typer.Option("--out", help="Plans go to OUT/<batch name>/, the summary to OUT.")
    ] = Path("out/many"),
    engine: Annotated[str, typer.Option(help="As for solve.")] = "auto",
    baseline: Annotated[
        bool | None,
        typer.Option("--baseline/--no-baseline", help="Also plan separate fleets to compare."),
    ] = None,
    report: Annotated[
        bool,
        typer.Option("--report/--no-report", help="Also write map, run sheets and timeline."),
    ] = True,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress display.")] = False,
    lang: LangOption = None,
    tiles: TilesOption = None,
) -> None:
    """Plan many batches, one task each (one CPU, its own time limit), on local processes
    or Ray; each plan goes to OUT/<batch name>/ and a summary per county to
    OUT/summary.csv and summary.md. A bad batch is reported and the others go on: exit 2
    when any batch is bad input, 1 when a batch failed even on its retry, else 0."""
    import os

    from optimizer.run.executor import make_executor
    from optimizer.run.many import Options, Row, batch_files
    from optimizer.run.many import solve_many as run_many

    if engine not in ENGINES:
        raise _fail([f"--engine: '{engine}' is not one of {', '.join(ENGINES)}"], "bad option")
    if time_limit is not None and not 0 < time_limit <= MAX_TIME_LIMIT_S:
        raise _fail(
            [f"--time-limit: {time_limit:g} s is not in (0, {MAX_TIME_LIMIT_S:g}] s"],
            "bad option",
        )
    files = batch_files(batches)
    if not files:
        raise _fail([", ".join(map(str, batches))], "no batch files found")
    msg = _msg_lang(lang)
    options = Options(
        out_dir, time_limit, seed, engine, baseline, report, normalize_lang(lang), tiles, msg
    )
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} batches"),
        TimeElapsedColumn(),
        console=err,
        disable=quiet,
        transient=True,
    ) as bar:
        task = bar.add_task(t("many.solving", msg, executor=executor), total=len(files))

        def on_row(row: Row) -> None:
            bar.advance(task)
            if row.status in ("bad input", "failed"):
                status = t(f"many.status.{row.status}", msg)
                bar.console.print(
                    f"[red]{status}:[/] {escape(row.county)}: {escape(row.error)}",
                    highlight=False,
                )

        try:
            ex = make_executor(executor, workers or os.cpu_count(), ray_address)
        except ValueError as e:
            raise _fail([f"--executor: {e}"], "bad option") from None
        with ex:
            rows = run_many(files, ex, options, on_row)
    table = Table(title=t("many.title", msg, n=len(rows)))
    columns = ("county", "status", "cost", "km", "empty_km", "vehicles", "unserved", "wall")
    for column in columns:
        justify = "left" if column in ("county", "status") else "right"
        table.add_column(t(f"many.col.{column}", msg), justify=justify)
    for r in rows:
        cells = [r.cost, r.km, r.empty_km, r.vehicles, r.unserved, r.wall_s]
        table.add_row(
            escape(r.county),
            t(f"many.status.{r.status}", msg),
            *("-" if c is None else f"{c:,.1f}" if isinstance(c, float) else str(c) for c in cells),
        )
    out.print(table)
    files = f"{out_dir}/<batch>/, {out_dir}/summary.csv, {out_dir}/summary.md"
    out.print(t("cli.wrote", msg, files=files), highlight=False)
    if any(r.status == "bad input" for r in rows):
        raise typer.Exit(2)
    if any(r.status == "failed" for r in rows):
        raise typer.Exit(1)


def _read_benchmark(path: Path, fmt: str) -> Batch:
    """A benchmark instance as a batch (stop ids are the file's node ids); exit 2 on error."""
    from optimizer.io.instances import read_instance

    if fmt not in BENCHMARK_FORMATS:
        raise _fail(
            [f"--format: '{fmt}' is not one of {', '.join(BENCHMARK_FORMATS)}"], "bad option"
        )
    if not path.exists():
        raise _fail([str(path)], "benchmark file not found")
    try:
        return read_instance(path, fmt)  # type: ignore[arg-type]
    except NotImplementedError as e:
        raise _fail([str(e)], f"{path} cannot be expressed yet") from None
    except (ValueError, KeyError, IndexError) as e:
        raise _fail([f"{path}: {e}"], f"{path} is not a valid {fmt} file") from None


BENCHMARK_FORMATS = ("solomon", "vrplib", "lkh", "lilim")


@app.command()
def validate(
    batch_file: Annotated[Path, typer.Argument(help="The batch the plan is for.")],
    plan_file: Annotated[Path, typer.Argument(help="A plan.json.")],
    lang: LangOption = None,
) -> None:
    """Recheck a plan against its batch; exit 1 when it breaks any hard constraint."""
    msg = _msg_lang(lang)
    batch = load_batch_file(batch_file, msg)
    plan = _load_plan(plan_file, msg)
    violations = validate_plan(batch, plan)
    if violations:
        err.print(format_violations(violations, msg), markup=False, highlight=False)
        err.print(f"[bold red]{t('cli.violations', msg, n=len(violations))}[/]")
        raise typer.Exit(1)
    line = t("cli.valid", msg, routes=len(plan.routes), served=plan.kpis.orders_served)
    out.print(line, highlight=False)


@app.command()
def report(
    batch_file: Annotated[Path, typer.Argument(help="The batch the plan is for.")],
    plan_file: Annotated[Path, typer.Argument(help="A plan.json.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Where report files go.")] = Path("out"),
    lang: LangOption = None,
    tiles: TilesOption = None,
) -> None:
    """Write map.html, runsheets.xlsx/.html/.csv and timeline.png for a plan; road routes
    follow the roads, as ``solve`` draws them."""
    msg = _msg_lang(lang)
    batch = load_batch_file(batch_file, msg)
    plan = _load_plan(plan_file, msg)
    try:
        travel = travel_matrices(batch)  # cached on disk for road networks
        geojson = plan_geojson(batch, plan, travel)
    except RoadNetworkError as e:
        raise _fail([e.text(msg)], t("error.roads", msg), msg) from None
    paths = write_reports(
        batch,
        plan,
        out_dir,
        normalize_lang(lang),
        tiles_url=tiles,
        geojson=geojson,
        travel=travel,
    )
    out.print(t("cli.wrote", _msg_lang(lang), files=", ".join(map(str, paths))), highlight=False)


@app.command("import")
def import_sheets(
    orders: Annotated[Path, typer.Argument(help="Orders .xlsx, .xls or .csv.")],
    sites: Annotated[
        Path, typer.Argument(help="Sites .xlsx, .xls or .csv (may be the same workbook).")
    ],
    fleet: Annotated[
        Path | None,
        typer.Option("--fleet", help="Fleet .xlsx/.xls/.csv (default: reefers and vans per hub)."),
    ] = None,
    products: Annotated[
        Path | None,
        typer.Option(
            "--products",
            help="Products .xlsx/.xls/.csv (default: a products/产品 sheet in the orders or "
            "sites workbook, if any; else catalogue names only).",
        ),
    ] = None,
    output: Annotated[Path, typer.Option("--out", help="Batch JSON to write.")] = Path(
        "batch.json"
    ),
    name: Annotated[str | None, typer.Option(help="Batch name (default: the file name).")] = None,
    lang: LangOption = None,
) -> None:
    """Build a batch from spreadsheets with English or Chinese headers."""
    msg = _msg_lang(lang)
    try:
        batch = import_batch(
            orders, sites, fleet_path=fleet, products_path=products, name=name, lang=msg
        )
    except SpreadsheetError as e:
        raise _fail(e.errors, t("error.spreadsheet", msg), msg) from None
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(batch.model_dump_json(by_alias=True, indent=2) + "\n", encoding="utf-8")
    out.print(t("cli.wrote", msg, files=str(output)), highlight=False)


@app.command()
def generate(
    villages: Annotated[int, typer.Option(min=1, max=5000, help="Number of villages.")] = 60,
    seed: Annotated[int, typer.Option(min=0, help="Random seed.")] = 1,
    centres: Annotated[
        int | None, typer.Option(min=1, max=3, help="Collection centres (default by size).")
    ] = None,
    output: Annotated[Path, typer.Option("--out", help="Batch file to write.")] = Path(
        "county.json"
    ),
) -> None:
    """Generate a synthetic county batch from domain defaults."""
    from scenarios.generate import generate_county, write_batch

    batch = generate_county(villages, seed, centres=centres)
    write_batch(batch, output)
    out.print(
        f"wrote {output}: {len(batch.sites)} sites, {len(batch.orders)} orders, "
        f"{sum(v.count for v in batch.fleet)} vehicles",
        highlight=False,
    )


site_app = typer.Typer(help="Collection-centre siting: optimise, evaluate, compare.")
app.add_typer(site_app, name="site")


def _load_scenario(path: Path, lang: str = "en"):  # -> tuple[Scenario, Batch]
    from optimizer.siting.scenario import load_scenario

    if not path.exists():
        raise _fail([str(path)], t("error.scenario_not_found", lang), lang)
    try:
        return load_scenario(path)
    except ValidationError as e:
        title = t("error.invalid_scenario", lang, path=path)
        raise _fail(input_errors(e, lang), title, lang) from None
    except (OSError, json.JSONDecodeError) as e:
        raise _fail([str(e)], t("error.unreadable", lang, path=path), lang) from None


@site_app.command("optimize")
def site_optimize(
    batch_file: Annotated[Path, typer.Argument(help="County batch: stations with produce.")],
    model: Annotated[str, typer.Option(help="pmedian, mclp or cflp.")] = "pmedian",
    p: Annotated[int, typer.Option("--p", min=1, help="Centres to open.")] = 1,
    radius: Annotated[
        float, typer.Option(help="mclp: minutes within which produce counts as covered.")
    ] = 60.0,
    daily_cost: Annotated[
        float,
        typer.Option("--daily-cost", help="cflp: CNY per day to run a centre (domain.md §4.5)."),
    ] = 500.0,
    old_opening_cost: Annotated[
        float | None, typer.Option("--opening-cost", hidden=True, help="Renamed --daily-cost.")
    ] = None,
    capacity_kg: Annotated[float, typer.Option(help="cflp: kg per day a centre takes.")] = 20000.0,
    budget: Annotated[
        float | None, typer.Option(help="cflp: at most this much daily cost in all, CNY a day.")
    ] = None,
    must_open: Annotated[list[str] | None, typer.Option(help="Site ids that stay open.")] = None,
    forbid: Annotated[list[str] | None, typer.Option(help="Site ids that may not open.")] = None,
    time_limit: Annotated[float, typer.Option("--time-limit", min=0.1)] = 60.0,
    output: Annotated[Path, typer.Option("--out", help="Scenario file to write.")] = Path(
        "scenario.json"
    ),
    lang: LangOption = None,
) -> None:
    """Choose centre sites among the batch's centres and villages, proven optimal or with
    its gap; writes a scenario file for `site evaluate` / `site compare`."""
    from optimizer.siting import SitingError
    from optimizer.siting.county import CountyOptimize, SiteInputError, optimize_county
    from optimizer.siting.scenario import batch_path_from

    msg = _msg_lang(lang)
    bad_option = t("error.bad_option", msg)
    if old_opening_cost is not None:
        raise _fail([t("error.opening_cost_option", msg)], bad_option, msg)
    batch = load_batch_file(batch_file, msg)
    try:
        spec = CountyOptimize(
            model=model,  # type: ignore[arg-type]
            p=p,
            radius_min=radius,
            daily_cost_cny=daily_cost,
            capacity_kg=capacity_kg,
            budget_cny=budget,
            must_open=must_open or [],
            forbid=forbid or [],
            time_limit_s=time_limit,
        )
    except ValidationError as e:
        raise _fail(input_errors(e, msg), bad_option, msg) from None
    try:
        res = optimize_county(batch, spec)
    except SiteInputError as e:
        raise _fail(e.lines(msg), bad_option, msg) from None
    except SitingError as e:
        raise _fail([_said(e, msg)], t("error.siting_unsolvable", msg), msg) from None
    scenario = res.scenario(batch_path_from(output, batch_file))
    keep = {"schema_", "name", "batch", "open"} | (
        {"daily_cost_cny"} if res.daily_cost_cny else set()
    )
    written = scenario.model_dump(by_alias=True, include=keep)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(written, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    def num(x: float | None, fmt: str) -> str:
        return "-" if x is None else format(x, fmt)

    out.print(
        t(
            "cli.site_optimized",
            msg,
            model=model,
            open=", ".join(res.open),
            objective=num(res.objective, ",.1f"),
            bound=num(res.bound, ",.1f"),
            gap=num(res.gap, ".2%"),
            status=t(f"siting.status.{res.status}", msg),
            seconds=res.time_s,
        ),
        highlight=False,
    )
    out.print(t("cli.wrote", msg, files=str(output)), highlight=False)


@site_app.command("evaluate")
def site_evaluate(
    scenario_file: Annotated[Path, typer.Argument(help="A freshroute.siting/v1 scenario.")],
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Also write the siting map DIR/scenario.html.")
    ] = None,
    lang: LangOption = None,
    tiles: TilesOption = None,
) -> None:
    """Access, freshness coverage and a routing simulation of one scenario."""
    from optimizer.report.siting_map import write_siting_map
    from optimizer.siting.scenario import comparison_markdown, evaluate_scenario

    msg = _msg_lang(lang)
    scenario, batch = _load_scenario(scenario_file, msg)
    page = None if out_dir is None else out_dir / "scenario.html"
    try:
        result = evaluate_scenario(scenario, batch)
        if page is not None:
            page.parent.mkdir(parents=True, exist_ok=True)
            write_siting_map(batch, [result], page, normalize_lang(lang), tiles)
    except ValueError as e:
        title = t("error.cannot_evaluate", msg, name=scenario.name)
        raise _fail([_said(e, msg)], title, msg) from None
    out.print(comparison_markdown([result], msg), markup=False, highlight=False)
    if page is not None:
        out.print(t("cli.wrote", msg, files=str(page)), highlight=False)


@site_app.command("compare")
def site_compare(
    base: Annotated[Path, typer.Argument(help="The base scenario.")],
    others: Annotated[list[Path], typer.Argument(help="Scenarios to compare with it.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Where tables and GeoJSON go.")] = Path(
        "out/siting"
    ),
    lang: LangOption = None,
    tiles: TilesOption = None,
    days: Annotated[
        int | None,
        typer.Option(min=0, max=30, help="Days to simulate per scenario (default: its own)."),
    ] = None,
    executor: Annotated[
        str, typer.Option(help="Where scenario × day simulations run: local or ray.")
    ] = "local",
    workers: Annotated[
        int | None, typer.Option(min=1, help="Simulations at once (default: the cores).")
    ] = None,
    ray_address: Annotated[
        str | None, typer.Option("--ray-address", envvar="RAY_ADDRESS", help="A Ray cluster.")
    ] = None,
) -> None:
    """Scenarios side by side (same sampled days for all), as a decision table against the
    base (the first, or the one marked "base": true): comparison.md, .csv, .geojson, the
    siting map comparison.html, and the spread over days (days.md, days.csv), in the
    --lang language. Each scenario × day routing simulation is a task on the executor."""
    from optimizer.report.siting_map import write_siting_map
    from optimizer.run.sweep import spread_csv, spread_markdown
    from optimizer.siting import SitingError
    from optimizer.siting.scenario import (
        base_index,
        comparison_csv,
        comparison_geojson,
        comparison_markdown,
    )

    report_lang, msg = normalize_lang(lang), _msg_lang(lang)
    loaded = [_load_scenario(p, msg) for p in [base, *others]]
    results, spreads = _sweep(loaded, days, executor, workers, ray_address, msg)
    try:
        base_index(results)
    except SitingError as e:
        raise _fail([_said(e, msg)], t("error.cannot_compare", msg), msg) from None
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "comparison.md").write_text(
        comparison_markdown(results, report_lang), encoding="utf-8"
    )
    # With a byte-order mark, so that Excel on Chinese Windows reads the Chinese text.
    (out_dir / "comparison.csv").write_text(
        comparison_csv(results, report_lang), encoding="utf-8-sig"
    )
    geo = comparison_geojson(loaded[0][1], results)
    (out_dir / "comparison.geojson").write_text(json.dumps(geo, ensure_ascii=False) + "\n")
    try:
        page = out_dir / "comparison.html"
        write_siting_map(loaded[0][1], results, page, report_lang, tiles)
    except ValueError as e:
        raise _fail([str(e)], t("error.siting_map", msg), msg) from None
    spread = spread_markdown(spreads)
    (out_dir / "days.md").write_text(spread, encoding="utf-8")
    (out_dir / "days.csv").write_text(spread_csv(spreads), encoding="utf-8")
    out.print(comparison_markdown(results, msg), markup=False, highlight=False)
    out.print(spread, markup=False, highlight=False)
    names = ("comparison.md", "comparison.csv", "comparison.geojson", "comparison.html")
    files = ", ".join(str(out_dir / f) for f in (*names, "days.md", "days.csv"))
    out.print(t("cli.wrote", msg, files=files), highlight=False)


def _sweep(
    loaded: list,
    days: int | None,
    executor: str,
    workers: int | None,
    address: str | None,
    msg: str = "en",
) -> tuple[list, list]:
    """Scenario × day simulations on the executor, with a progress bar over them."""
    import os

    from optimizer.run.executor import make_executor
    from optimizer.run.sweep import SweepError, sweep

    total = sum(s.days if days is None else days for s, _ in loaded)
    try:
        ex = make_executor(executor, workers or os.cpu_count(), address)
    except ValueError as e:
        raise _fail([f"--executor: {e}"], "bad option", msg) from None
    with (
        ex,
        Progress(
            TextColumn("simulating days"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=err,
            transient=True,
        ) as bar,
    ):
        task = bar.add_task("days", total=total)
        try:
            return sweep(loaded, ex, days, lambda: bar.advance(task))
        except SweepError as e:
            err.print(f"[bold red]{t('error.prefix', msg)}[/] {escape(str(e))}")
            raise typer.Exit(1) from None
        except ValueError as e:
            raise _fail([_said(e, msg)], t("error.cannot_compare", msg), msg) from None


if __name__ == "__main__":
    app()
