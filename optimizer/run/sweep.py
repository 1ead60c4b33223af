"""Planners' sweeps (``site compare --days N``): every scenario × day routing simulation
is one task on an executor; the comparison aggregates each scenario's days.

A scenario's county (centres placed) and its travel matrices are built once, in the
driver, and shared with all its day tasks. The mean over days goes to the comparison
table (``evaluate_scenario``); the spread over days (standard deviation, min, max) to a
table of its own.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np

from optimizer.errors import Rendered, Said, exception_text
from optimizer.i18n import normalize_lang, t
from optimizer.model import Batch
from optimizer.network import TravelMatrices, travel_matrices
from optimizer.run.executor import Executor, Task
from optimizer.siting.scenario import (
    DayRouting,
    Scenario,
    ScenarioResult,
    county_with_centres,
    evaluate_scenario,
    simulate_day,
)


class SweepError(RuntimeError):
    """A day's simulation failed even on its retry (a worker died, or a solver bug)."""


@dataclass(frozen=True)
class DaySpread:
    """One scenario's routing over its simulated days."""

    scenario: str
    days: int
    cost_mean: float | None
    cost_sd: float | None
    cost_min: float | None
    cost_max: float | None
    km_mean: float | None
    km_sd: float | None
    empty_return_mean: float | None
    empty_return_sd: float | None

    @classmethod
    def of(cls, name: str, days: Sequence[DayRouting]) -> DaySpread:
        def stats(values: list[float]) -> tuple[float | None, float | None]:
            if not values:
                return None, None
            sd = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
            return float(np.mean(values)), sd

        costs = [d.cost for d in days]
        cost_mean, cost_sd = stats(costs)
        km_mean, km_sd = stats([d.km for d in days])
        empty_mean, empty_sd = stats([d.empty_return_share for d in days])
        low, high = (min(costs), max(costs)) if costs else (None, None)
        return cls(
            name, len(days), cost_mean, cost_sd, low, high, km_mean, km_sd, empty_mean, empty_sd
        )


def sweep(
    loaded: Sequence[tuple[Scenario, Batch]],
    executor: Executor,
    days: int | None = None,
    on_day: Callable[[], None] | None = None,
) -> tuple[list[ScenarioResult], list[DaySpread]]:
    """Evaluate every scenario (``days`` overrides each one's), its days as tasks.

    Raises ``ValueError`` for a scenario that cannot be placed (``SitingError``) and
    ``SweepError`` when a day fails twice."""
    scenarios = [s if days is None else s.model_copy(update={"days": days}) for s, _ in loaded]
    tasks = []
    for i, (scenario, (_, batch)) in enumerate(zip(scenarios, loaded, strict=True)):
        try:
            county = county_with_centres(batch, scenario.open)
            built = travel_matrices(county)
        except ValueError as e:  # SitingError, RoadNetworkError
            error = Rendered(partial(exception_text, e))
            raise ValueError(Said("sweep.scenario", name=scenario.name, error=error)) from None
        shared_county = executor.share(county)
        shared_travel = executor.share(TravelMatrices(built.site_ids, built.km, built.minutes))
        for day in range(scenario.days):
            args = (shared_county, shared_travel, day, scenario.seed, scenario.time_limit_s)
            tasks.append(Task(f"{i}/{day}", simulate_day, args))
    routed: dict[str, DayRouting] = {}
    for outcome in executor.run(tasks):
        if outcome.error is not None:
            i, day = outcome.key.split("/")
            name = scenarios[int(i)].name
            raise SweepError(Said("sweep.day_failed", name=name, day=day, error=outcome.error))
        routed[outcome.key] = outcome.value
        if on_day is not None:
            on_day()
    results, spreads = [], []
    for i, (scenario, (_, batch)) in enumerate(zip(scenarios, loaded, strict=True)):
        day_results = [routed[f"{i}/{day}"] for day in range(scenario.days)]
        results.append(evaluate_scenario(scenario, batch, day_results))
        spreads.append(DaySpread.of(scenario.name, day_results))
    return results, spreads


# Fields of ``DaySpread`` in the tables, with their format; labels are ``sweep.col.<field>``.
SPREAD_COLUMNS = [
    ("days", "{}"),
    ("cost_mean", "{:,.0f}"),
    ("cost_sd", "{:,.0f}"),
    ("cost_min", "{:,.0f}"),
    ("cost_max", "{:,.0f}"),
    ("km_mean", "{:,.1f}"),
    ("km_sd", "{:,.1f}"),
    ("empty_return_mean", "{:.1%}"),
    ("empty_return_sd", "{:.1%}"),
]


def spread_markdown(spreads: Sequence[DaySpread], lang: str = "en") -> str:
    """One row per scenario: the mean and spread of its days' routing; labels in ``lang``."""
    labels = [t("siting.scenario", lang), *(t(f"sweep.col.{f}", lang) for f, _ in SPREAD_COLUMNS)]
    lines = ["| " + " | ".join(labels) + " |", "|---|" + "---:|" * len(SPREAD_COLUMNS)]
    for s in spreads:
        cells = [
            "-" if getattr(s, f) is None else fmt.format(getattr(s, f)) for f, fmt in SPREAD_COLUMNS
        ]
        lines.append(f"| {s.scenario} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def spread_csv(spreads: Sequence[DaySpread], lang: str = "en") -> str:
    """The spread as CSV: in English the field names head the columns (scripts read
    them), in Chinese the labels of ``spread_markdown``."""
    fields = [f for f, _ in SPREAD_COLUMNS]
    header = ["scenario", *fields]
    if normalize_lang(lang) != "en":
        header = [t("siting.scenario", lang), *(t(f"sweep.col.{f}", lang) for f in fields)]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for s in spreads:
        writer.writerow(
            [s.scenario, *("" if getattr(s, f) is None else getattr(s, f) for f in fields)]
        )
    return buf.getvalue()
