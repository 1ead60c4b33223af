"""The ``freshroute`` command line: solve, validate and generate batches.

Exit codes: 0 done; 1 a plan has violations (``validate``; ``solve``: the engine's own
plan failed validation, a bug); 2 bad input, with a
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

from optimizer.cli_help import HelpCommand, HelpGroup, h, localize_typer
from optimizer.cli_progress import SolveProgress
from optimizer.errors import exception_text, in_lang, input_errors
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
from optimizer.network import TravelMatrices, travel_matrices
from optimizer.network.errors import RoadNetworkError
from optimizer.plan import KPIs, Plan
from optimizer.reasons import outcome_text
from optimizer.report import write_reports
from optimizer.routing.feasibility import InfeasibleBatch
from optimizer.routing.portfolio import ENGINES
from optimizer.routing.solve import InvalidPlan, plan_batch
from optimizer.run.outputs import write_plan_files
from optimizer.validate import format_violations, validate_plan

localize_typer()
app = typer.Typer(
    cls=HelpGroup,
    help=h("app"),
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
        help=h("opt.lang"),
    ),
]
TilesOption = Annotated[
    str | None,
    typer.Option("--tiles", help=h("opt.tiles")),
]


def _msg_lang(lang: str | None) -> str:
    """Messages default to English; reports (for county staff) to Chinese."""
    return normalize_lang(lang) if lang else "en"


def _fail(lines: list[str], title: str, lang: str = "en") -> typer.Exit:
    err.print(f"[bold red]{t('error.prefix', lang)}[/] {title}")
    for line in lines:
        err.print(f"  - {line}", markup=False, highlight=False)
    return typer.Exit(2)


def _print_warnings(travel: TravelMatrices, lang: str) -> None:
    """The road network's warnings (dropped lines, guessed speeds, far sites) in ``lang``."""
    for warning in travel.warnings:
        _print_warning(warning, lang)


def _print_warning(warning: str, lang: str, console: Console = err, where: str = "") -> None:
    """A warning in ``lang`` (``where``: what it is about, e.g. a batch's name)."""
    text = escape(f"{where}: " if where else "") + escape(in_lang(warning, lang))
    console.print(f"[yellow]{t('cli.warning', lang)}[/] {text}", highlight=False)


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


@app.command(help=h("solve"), cls=HelpCommand)
def solve(
    batch_file: Annotated[Path, typer.Argument(help=h("solve.batch_file"))],
    time_limit: Annotated[
        float | None, typer.Option("--time-limit", help=h("opt.time_limit"))
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(min=0, max=MAX_SEED, help=h("solve.seed")),
    ] = None,
    out_dir: Annotated[Path, typer.Option("--out", help=h("solve.out_dir"))] = Path("out"),
    baseline: Annotated[
        bool | None,
        typer.Option("--baseline/--no-baseline", help=h("opt.baseline")),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help=h("opt.quiet"))] = False,
    verbose: Annotated[bool, typer.Option("--verbose", help=h("solve.verbose"))] = False,
    engine: Annotated[
        str,
        typer.Option(help=h("solve.engine")),
    ] = "auto",
    lang: LangOption = None,
    report: Annotated[
        bool,
        typer.Option("--report/--no-report", help=h("opt.report")),
    ] = True,
    tiles: TilesOption = None,
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            help=h("solve.fmt"),
        ),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(help=h("solve.workers"), min=1, max=2),
    ] = 1,
    strict: Annotated[
        bool,
        typer.Option("--strict", help=h("solve.strict")),
    ] = False,
) -> None:
    msg = _msg_lang(lang)
    batch = (
        load_batch_file(batch_file, msg) if fmt is None else _read_benchmark(batch_file, fmt, msg)
    )
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
            raise _fail([i.line(msg) for i in e.issues], title, msg) from None
        except RoadNetworkError as e:
            raise _fail([e.text(msg)], t("error.roads", msg), msg) from None
        except InvalidPlan as e:  # a bug, never a result: say so without a traceback
            err.print(f"[bold red]{t('error.prefix', msg)}[/] {escape(e.text(msg))}")
            raise typer.Exit(1) from None
    travel = travel_matrices(batch)  # cached on disk for road networks
    _print_warnings(travel, msg)
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


@app.command("replan", help=h("replan"), cls=HelpCommand)
def replan_cmd(
    batch_file: Annotated[Path, typer.Argument(help=h("replan.batch_file"))],
    plan_file: Annotated[Path, typer.Argument(help=h("replan.plan_file"))],
    events_file: Annotated[Path, typer.Argument(help=h("replan.events_file"))],
    time_limit: Annotated[
        float | None, typer.Option("--time-limit", help=h("opt.time_limit"))
    ] = None,
    out_dir: Annotated[Path, typer.Option("--out", help=h("replan.out_dir"))] = Path("out"),
    engine: Annotated[str, typer.Option(help=h("opt.engine_as_solve"))] = "auto",
    lang: LangOption = None,
    report: Annotated[
        bool,
        typer.Option("--report/--no-report", help=h("replan.report")),
    ] = True,
) -> None:
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
    except RoadNetworkError as e:
        raise _fail([e.text(msg)], t("error.roads", msg), msg) from None
    print_summary(result.plan, msg)
    out.print(t("cli.wrote", msg, files=", ".join(map(str, written))), highlight=False)
    if result.plan.kpis.required_unassigned:
        n = result.plan.kpis.required_unassigned
        err.print(f"[bold yellow]{t('cli.required_unserved', msg, n=n)}[/]", highlight=False)
        raise typer.Exit(EXIT_REQUIRED_UNSERVED)


@app.command("solve-many", help=h("solve_many"), cls=HelpCommand)
def solve_many(
    batches: Annotated[list[Path], typer.Argument(help=h("solve_many.batches"))],
    executor: Annotated[str, typer.Option(help=h("solve_many.executor"))] = "local",
    workers: Annotated[
        int | None,
        typer.Option(min=1, help=h("solve_many.workers")),
    ] = None,
    ray_address: Annotated[
        str | None,
        typer.Option(
            "--ray-address",
            envvar="RAY_ADDRESS",
            help=h("solve_many.ray_address"),
        ),
    ] = None,
    time_limit: Annotated[
        float | None, typer.Option("--time-limit", help=h("solve_many.time_limit"))
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(min=0, max=MAX_SEED, help=h("solve_many.seed")),
    ] = None,
    out_dir: Annotated[Path, typer.Option("--out", help=h("solve_many.out_dir"))] = Path(
        "out/many"
    ),
    engine: Annotated[str, typer.Option(help=h("opt.engine_as_solve"))] = "auto",
    baseline: Annotated[
        bool | None,
        typer.Option("--baseline/--no-baseline", help=h("opt.baseline")),
    ] = None,
    report: Annotated[
        bool,
        typer.Option("--report/--no-report", help=h("opt.report")),
    ] = True,
    quiet: Annotated[bool, typer.Option("--quiet", help=h("opt.quiet"))] = False,
    lang: LangOption = None,
    tiles: TilesOption = None,
) -> None:
    import os

    from optimizer.run.executor import make_executor
    from optimizer.run.many import Options, Row, batch_files
    from optimizer.run.many import solve_many as run_many

    msg = _msg_lang(lang)
    bad_option = t("error.bad_option", msg)
    if engine not in ENGINES:
        line = t("error.engine_option", msg, value=engine, choices=", ".join(ENGINES))
        raise _fail([line], bad_option, msg)
    if time_limit is not None and not 0 < time_limit <= MAX_TIME_LIMIT_S:
        line = t("error.time_limit_option", msg, value=time_limit, max=MAX_TIME_LIMIT_S)
        raise _fail([line], bad_option, msg)
    files = batch_files(batches)
    if not files:
        raise _fail([", ".join(map(str, batches))], t("error.no_batch_files", msg), msg)
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
            raise _fail([f"--executor: {exception_text(e, msg)}"], bad_option, msg) from None

        def on_warning(name: str, warning: str) -> None:
            _print_warning(warning, msg, bar.console, name)

        with ex:
            rows = run_many(files, ex, options, on_row, on_warning)
    table = Table(title=t("many.title", msg, n=len(rows)))
    columns = ("county", "status", "cost", "km", "empty_km", "vehicles", "unserved", "wall_s")
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


def _read_benchmark(path: Path, fmt: str, lang: str = "en") -> Batch:
    """A benchmark instance as a batch (stop ids are the file's node ids); exit 2 on error
    (the file reader's own words stay as it says them)."""
    from optimizer.io.instances import read_instance

    if fmt not in BENCHMARK_FORMATS:
        line = t("error.format_option", lang, value=fmt, choices=", ".join(BENCHMARK_FORMATS))
        raise _fail([line], t("error.bad_option", lang), lang)
    if not path.exists():
        raise _fail([str(path)], t("error.benchmark_not_found", lang), lang)
    try:
        return read_instance(path, fmt)  # type: ignore[arg-type]
    except NotImplementedError as e:
        raise _fail([str(e)], t("error.benchmark_unsupported", lang, path=path), lang) from None
    except (ValueError, KeyError, IndexError) as e:
        title = t("error.benchmark_invalid", lang, path=path, format=fmt)
        raise _fail([f"{path}: {e}"], title, lang) from None


BENCHMARK_FORMATS = ("solomon", "vrplib", "lkh", "lilim")


@app.command(help=h("validate"), cls=HelpCommand)
def validate(
    batch_file: Annotated[Path, typer.Argument(help=h("arg.batch_of_plan"))],
    plan_file: Annotated[Path, typer.Argument(help=h("arg.plan"))],
    lang: LangOption = None,
) -> None:
    msg = _msg_lang(lang)
    batch = load_batch_file(batch_file, msg)
    plan = _load_plan(plan_file, msg)
    try:
        violations = validate_plan(batch, plan)
    except RoadNetworkError as e:
        raise _fail([e.text(msg)], t("error.roads", msg), msg) from None
    if violations:
        err.print(format_violations(violations, msg), markup=False, highlight=False)
        err.print(f"[bold red]{t('cli.violations', msg, n=len(violations))}[/]")
        raise typer.Exit(1)
    line = t("cli.valid", msg, routes=len(plan.routes), served=plan.kpis.orders_served)
    out.print(line, highlight=False)


@app.command(help=h("report"), cls=HelpCommand)
def report(
    batch_file: Annotated[Path, typer.Argument(help=h("arg.batch_of_plan"))],
    plan_file: Annotated[Path, typer.Argument(help=h("arg.plan"))],
    out_dir: Annotated[Path, typer.Option("--out", help=h("report.out_dir"))] = Path("out"),
    lang: LangOption = None,
    tiles: TilesOption = None,
) -> None:
    msg = _msg_lang(lang)
    batch = load_batch_file(batch_file, msg)
    plan = _load_plan(plan_file, msg)
    try:
        travel = travel_matrices(batch)  # cached on disk for road networks
        geojson = plan_geojson(batch, plan, travel)
    except RoadNetworkError as e:
        raise _fail([e.text(msg)], t("error.roads", msg), msg) from None
    _print_warnings(travel, msg)
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


@app.command("import", help=h("import"), cls=HelpCommand)
def import_sheets(
    orders: Annotated[Path, typer.Argument(help=h("import.orders"))],
    sites: Annotated[Path, typer.Argument(help=h("import.sites"))],
    fleet: Annotated[
        Path | None,
        typer.Option("--fleet", help=h("import.fleet")),
    ] = None,
    products: Annotated[
        Path | None,
        typer.Option(
            "--products",
            help=h("import.products"),
        ),
    ] = None,
    output: Annotated[Path, typer.Option("--out", help=h("import.output"))] = Path("batch.json"),
    name: Annotated[str | None, typer.Option(help=h("import.name"))] = None,
    lang: LangOption = None,
) -> None:
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


@app.command(help=h("generate"), cls=HelpCommand)
def generate(
    villages: Annotated[int, typer.Option(min=1, max=5000, help=h("generate.villages"))] = 60,
    seed: Annotated[int, typer.Option(min=0, help=h("generate.seed"))] = 1,
    centres: Annotated[int | None, typer.Option(min=1, max=3, help=h("generate.centres"))] = None,
    output: Annotated[Path, typer.Option("--out", help=h("generate.output"))] = Path("county.json"),
    lang: LangOption = None,
) -> None:
    from scenarios.generate import generate_county, write_batch

    batch = generate_county(villages, seed, centres=centres)
    write_batch(batch, output)
    vehicles = sum(v.count for v in batch.fleet)
    line = t(
        "cli.generated",
        _msg_lang(lang),
        path=output,
        sites=len(batch.sites),
        orders=len(batch.orders),
        vehicles=vehicles,
    )
    out.print(line, highlight=False)


site_app = typer.Typer(cls=HelpGroup, help=h("site"))
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


@site_app.command("optimize", help=h("site_optimize"), cls=HelpCommand)
def site_optimize(
    batch_file: Annotated[Path, typer.Argument(help=h("site_optimize.batch_file"))],
    model: Annotated[str, typer.Option(help=h("site_optimize.model"))] = "pmedian",
    p: Annotated[int, typer.Option("--p", min=1, help=h("site_optimize.p"))] = 1,
    radius: Annotated[float, typer.Option(help=h("site_optimize.radius"))] = 60.0,
    daily_cost: Annotated[
        float,
        typer.Option("--daily-cost", help=h("site_optimize.daily_cost")),
    ] = 500.0,
    old_opening_cost: Annotated[
        float | None,
        typer.Option("--opening-cost", hidden=True, help=h("site_optimize.old_opening_cost")),
    ] = None,
    capacity_kg: Annotated[float, typer.Option(help=h("site_optimize.capacity_kg"))] = 20000.0,
    budget: Annotated[float | None, typer.Option(help=h("site_optimize.budget"))] = None,
    must_open: Annotated[list[str] | None, typer.Option(help=h("site_optimize.must_open"))] = None,
    forbid: Annotated[list[str] | None, typer.Option(help=h("site_optimize.forbid"))] = None,
    time_limit: Annotated[
        float, typer.Option("--time-limit", min=0.1, help=h("site_optimize.time_limit"))
    ] = 60.0,
    output: Annotated[Path, typer.Option("--out", help=h("site_optimize.output"))] = Path(
        "scenario.json"
    ),
    lang: LangOption = None,
) -> None:
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
        raise _fail([exception_text(e, msg)], t("error.siting_unsolvable", msg), msg) from None
    except RoadNetworkError as e:
        raise _fail([e.text(msg)], t("error.roads", msg), msg) from None
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


@site_app.command("evaluate", help=h("site_evaluate"), cls=HelpCommand)
def site_evaluate(
    scenario_file: Annotated[Path, typer.Argument(help=h("site_evaluate.scenario_file"))],
    out_dir: Annotated[Path | None, typer.Option("--out", help=h("site_evaluate.out_dir"))] = None,
    lang: LangOption = None,
    tiles: TilesOption = None,
) -> None:
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
        raise _fail([exception_text(e, msg)], title, msg) from None
    out.print(comparison_markdown([result], msg), markup=False, highlight=False)
    if page is not None:
        out.print(t("cli.wrote", msg, files=str(page)), highlight=False)


@site_app.command("compare", help=h("site_compare"), cls=HelpCommand)
def site_compare(
    base: Annotated[Path, typer.Argument(help=h("site_compare.base"))],
    others: Annotated[list[Path], typer.Argument(help=h("site_compare.others"))],
    out_dir: Annotated[Path, typer.Option("--out", help=h("site_compare.out_dir"))] = Path(
        "out/siting"
    ),
    lang: LangOption = None,
    tiles: TilesOption = None,
    days: Annotated[
        int | None,
        typer.Option(min=0, max=30, help=h("site_compare.days")),
    ] = None,
    executor: Annotated[str, typer.Option(help=h("site_compare.executor"))] = "local",
    workers: Annotated[int | None, typer.Option(min=1, help=h("site_compare.workers"))] = None,
    ray_address: Annotated[
        str | None,
        typer.Option("--ray-address", envvar="RAY_ADDRESS", help=h("site_compare.ray_address")),
    ] = None,
) -> None:
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
        raise _fail([exception_text(e, msg)], t("error.cannot_compare", msg), msg) from None
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
    (out_dir / "days.md").write_text(spread_markdown(spreads, report_lang), encoding="utf-8")
    bom = "-sig" if report_lang == "zh-CN" else ""  # Chinese: a byte-order mark for Excel
    (out_dir / "days.csv").write_text(spread_csv(spreads, report_lang), encoding=f"utf-8{bom}")
    out.print(comparison_markdown(results, msg), markup=False, highlight=False)
    out.print(spread_markdown(spreads, msg), markup=False, highlight=False)
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
        line = f"--executor: {exception_text(e, msg)}"
        raise _fail([line], t("error.bad_option", msg), msg) from None
    with (
        ex,
        Progress(
            TextColumn(t("sweep.simulating", msg)),
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
            err.print(f"[bold red]{t('error.prefix', msg)}[/] {escape(exception_text(e, msg))}")
            raise typer.Exit(1) from None
        except ValueError as e:
            raise _fail([exception_text(e, msg)], t("error.cannot_compare", msg), msg) from None


if __name__ == "__main__":
    app()
