"""The solve's progress display: the best whole plan so far, never up, redrawn by a
ticker; the final cost and saving at the end; routes listed only with --verbose."""

from __future__ import annotations

import io
import json
import math
import re
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from rich.console import Console
from typer.testing import CliRunner

from optimizer.cli import app
from optimizer.cli_progress import SolveProgress, phase_text
from optimizer.routing.progress import PartsProgress, shifted
from scenarios.generate import generate_county, write_batch

runner = CliRunner()


def plain_console() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, force_terminal=False, width=200), buffer


def test_the_best_plan_never_goes_up_across_phases() -> None:
    console, _ = plain_console()
    with SolveProgress(console, 30, "en", tick_s=60, plain_every_s=60) as shown:
        shown.tracker("pairing (pyvrp)", 1.0, 22_993.0)
        shown.tracker("polishing", 2.0, 41_196.0)  # a worse plan of a later phase
        line = shown.line()
    assert "best plan so far 22,993 CNY" in line and "41,196" not in line
    assert line.startswith("polishing under the exact cost")


def test_a_part_is_not_reported_as_the_plan() -> None:
    """While the deliveries are planned alone there is no plan of the whole batch; once
    both parts have one, the whole costs their sum."""
    seen: list[tuple[str, float]] = []
    parts = PartsProgress(lambda phase, elapsed, cost: seen.append((phase, cost)))
    parts.part("delivery")("deliveries alone", 1.0, 22_993.0)  # type: ignore[misc]
    parts.done("delivery", 22_000.0)  # polished
    parts.part("pickup")("pickups alone", 2.0, 19_196.0)  # type: ignore[misc]
    assert seen == [("deliveries alone", math.inf), ("pickups alone", 41_196.0)]
    console, _ = plain_console()
    with SolveProgress(console, 30, "zh-CN", tick_s=60, plain_every_s=60) as shown:
        shown.tracker(*("deliveries alone (native)", 1.0, math.inf))
        assert "尚无覆盖全部订单的方案" in shown.line()
        assert shown.line().startswith("分车基准方案：只排配送（自研搜索）")
    moved = []
    shifted(lambda *a: moved.append(a), 500.0, "part 2/3: ")("pairing", 1.0, 100.0)  # type: ignore[misc]
    assert moved == [("part 2/3: pairing", 1.0, 600.0)]
    assert phase_text("part 2/3: pairing (ortools)", "en") == (
        "part 2/3: pairing deliveries and pickups (OR-Tools)"
    )


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_every_contestant_the_contest_reports_has_a_name(monkeypatch, lang: str) -> None:
    """The phases the contest reports (``solving (native)``, ``(pyvrp)``, ``(ahead)``,
    ``(other)``) are shown by name in both languages, never as a raw key."""
    from optimizer.routing import portfolio
    from optimizer.routing.engines import EngineResult
    from optimizer.routing.problem import compile_problem

    problem = compile_problem(generate_county(6, 1))
    result = EngineResult([], 1.0, "success", 0.0)
    monkeypatch.setattr(portfolio, "solve_native", lambda *a: result)
    monkeypatch.setattr(portfolio, "solve_pyvrp", lambda *a, **k: result)
    monkeypatch.setattr(portfolio, "polish", lambda *a, **k: SimpleNamespace(result=result))
    monkeypatch.setattr(portfolio, "exact_cost", lambda p, routes: 1.0)
    phases: list[str] = []
    portfolio._contest(problem, 1.0, lambda phase, t, c: phases.append(phase), "solving")
    assert phases == [f"solving ({e})" for e in ("native", "pyvrp", "ahead", "other")]
    for phase, label in zip(phases, ("native", "pyvrp", "ahead", "other"), strict=True):
        text = phase_text(phase, lang)
        assert "progress." not in text and f"({label})" not in text, text


def test_the_ticker_redraws_without_reports() -> None:
    console, buffer = plain_console()
    with SolveProgress(console, 30, "en", plain_every_s=0.01) as shown:
        shown.tracker("pairing", 1.0, 1234.0)
        deadline = time.monotonic() + 10
        while buffer.getvalue().count("\n") < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
    lines = buffer.getvalue().splitlines()
    assert len(lines) >= 3 and shown.tracker.reports == 1  # drawn three times, reported once
    assert all("best plan so far 1,234 CNY" in line for line in lines)


def test_a_real_solve_ends_with_its_cost_and_saving(tmp_path: Path) -> None:
    batch = write_batch(generate_county(10, 5), tmp_path / "batch.json")
    run = runner.invoke(
        app, ["solve", str(batch), "--time-limit", "3", "--out", str(tmp_path), "--no-report"]
    )
    assert run.exit_code == 0, run.output
    plan = json.loads((tmp_path / "plan.json").read_text())
    kpis, base = plan["kpis"], plan["baseline"]
    last = run.stdout.strip().splitlines()[-1]  # one line, however wide
    assert last.endswith(
        f"Final plan: {kpis['total_cost']:,.0f} CNY, against {base['kpis']['total_cost']:,.0f} "
        f"CNY with separate fleets: pairing saves {base['cost_saving_share']:.1%} of cost and "
        f"{base['empty_km_saving_share']:.1%} of empty km."
    )
    # The progress lines (not a terminal: a line every 2 s) never show a cost that goes
    # up, and the plan written is no dearer than the best shown.
    shown = [
        float(m.replace(",", "")) for m in re.findall(r"best plan so far ([\d,]+) CNY", run.stderr)
    ]
    assert shown == sorted(shown, reverse=True)
    assert all(kpis["total_cost"] <= cost + 1 for cost in shown)
    vehicles = [r["vehicle"] for r in plan["routes"]]
    assert not any(re.search(rf"^{v} \d\d:\d\d-", run.stdout, re.M) for v in vehicles)
    verbose = runner.invoke(
        app,
        [
            "solve",
            str(batch),
            "--time-limit",
            "1",
            "--out",
            str(tmp_path / "v"),
            "--no-report",
            "--verbose",
            "--quiet",
        ],
    )
    assert verbose.exit_code == 0, verbose.output
    assert "best plan so far" not in verbose.stderr  # --quiet
    listed = json.loads((tmp_path / "v" / "plan.json").read_text())["routes"]
    assert listed and all(
        re.search(rf"^{r['vehicle']} \d\d:\d\d-", verbose.stdout, re.M) for r in listed
    )
