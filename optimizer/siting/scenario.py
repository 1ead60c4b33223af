"""Siting scenarios: which collection centres are open, and what that does to the county.

A scenario (``freshroute.siting/v1``) names a county batch and the sites where centres
are open: existing collection centres, or any other site of the batch (a village where a
new centre would be built). ``evaluate_scenario`` reports static measures from the
travel matrix (opening cost, produce-weighted travel time to the nearest centre, share of
produce kg inside each order's freshness radius) and a routing simulation of sampled
days, the same days for every scenario, through the normal planning path.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from optimizer.errors import InputMessage, Said, message
from optimizer.freshness import decay_rate, freshness_budget_min, vehicle_temp
from optimizer.i18n import normalize_lang, t
from optimizer.model import Batch, Order, Site, read_batch
from optimizer.network import TravelMatrices, given_travel, travel_matrices
from optimizer.routing.feasibility import check_feasibility
from optimizer.routing.problem import compile_problem
from optimizer.routing.solve import plan_batch
from optimizer.siting.result import SitingError

SCENARIO_SCHEMA_ID = "freshroute.siting/v1"


def reject_opening_cost(data: object, key: str = "siting.err.opening_cost_split") -> object:
    """Refuse the old, ambiguous ``opening_cost`` field by name (``key``: the message
    saying which field replaces it), rather than as an unknown field."""
    if isinstance(data, dict) and "opening_cost" in data:
        raise InputMessage([("opening_cost", message(key))])
    return data


class Scenario(BaseModel):
    """Open centres for one county, and how to simulate its days."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    schema_: Literal["freshroute.siting/v1"] = Field(default=SCENARIO_SCHEMA_ID, alias="schema")
    name: str
    batch: str = Field(description="The county batch file, relative to this scenario file.")
    open: list[str] = Field(min_length=1, description="Site ids where a centre is open.")
    base: bool = Field(
        default=False,
        description="The base the others are compared with (default: the first scenario).",
    )
    build_cost_cny: dict[str, float] = Field(
        default_factory=dict,
        description="One-off CNY to build a centre at a site id (for the payback).",
    )
    daily_cost_cny: dict[str, float] = Field(
        default_factory=dict,
        description="CNY per day to run a centre at a site id (staff, power, rent).",
    )
    days: int = Field(default=3, ge=0, le=30, description="Days of routing to simulate.")
    seed: int = Field(default=1, ge=0)
    time_limit_s: float = Field(default=5.0, gt=0, le=600)

    @model_validator(mode="before")
    @classmethod
    def _no_opening_cost(cls, data: object) -> object:
        return reject_opening_cost(data)


class ScenarioResult(BaseModel):
    name: str
    open: list[str]
    base: bool = Field(default=False, description="Marked as the base of a comparison.")
    build_cost_cny: float = Field(default=0.0, description="One-off CNY to build its centres.")
    daily_cost_cny: float = Field(default=0.0, description="CNY per day to run its centres.")
    produce_kg: float
    mean_minutes_to_centre: float = Field(description="Produce-kg-weighted, nearest open centre.")
    max_minutes_to_centre: float
    fresh_coverage: float = Field(description="Share of produce kg inside its freshness radius.")
    days: int
    unservable_orders: int = Field(description="Pickups no vehicle could bring in fresh, all days.")
    vehicles: float | None = Field(default=None, description="Vehicles used per day (mean).")
    routing_cost: float | None = None
    routing_km: float | None = None
    empty_return_share: float | None = None
    freshness_mean: float | None = None
    freshness_min: float | None = None
    catchment: dict[str, str] = Field(default_factory=dict, description="station → centre")

    @property
    def cost_per_day(self) -> float | None:
        """Routing cost plus running the centres, CNY per day (None: not simulated)."""
        return None if self.routing_cost is None else self.routing_cost + self.daily_cost_cny


def load_scenario(path: Path) -> tuple[Scenario, Batch]:
    """A scenario file and its county batch: ``batch`` is relative to the scenario file
    (an absolute path is kept); road paths are resolved next to the batch."""
    scenario = Scenario.model_validate(json.loads(Path(path).read_text(encoding="utf-8")))
    return scenario, read_batch((Path(path).parent / scenario.batch).resolve())


def batch_path_from(scenario_file: Path, batch_file: Path) -> str:
    """How a scenario file at ``scenario_file`` names ``batch_file``: relative to the
    scenario's folder, so the two can move together (POSIX separators)."""
    folder = Path(scenario_file).resolve().parent
    return Path(os.path.relpath(Path(batch_file).resolve(), folder)).as_posix()


def county_with_centres(batch: Batch, open_ids: list[str]) -> Batch:
    """The batch with centres exactly at ``open_ids``; pickups go to the nearest one.

    An open id that is not a collection centre gets a new centre at its coordinates
    (``CC-<id>``, hours and cut-off of the batch's first centre); closed centres are
    removed. Explicit matrices cannot place new sites, so they need straight-line or
    road travel.
    """
    sites = batch.sites_by_id
    unknown = [s for s in open_ids if s not in sites]
    if unknown:
        raise SitingError(Said("siting.err.unknown_open", sites=", ".join(unknown)))
    template = next((s for s in batch.sites if s.kind == "collection_centre"), None)
    new_sites: list[Site] = [s for s in batch.sites if s.kind != "collection_centre"]
    centre_ids = []
    for sid in open_ids:
        site = sites[sid]
        if site.kind == "collection_centre":
            new_sites.append(site)
            centre_ids.append(sid)
            continue
        if batch.travel.mode == "matrix":
            raise SitingError(Said("siting.err.open_matrix", site=sid))
        extra = (
            {
                "time_windows": template.time_windows,
                "cutoff": template.cutoff,
                "service_min": template.service_min,
            }
            if template
            else {}
        )
        new_sites.append(
            Site(
                id=f"CC-{sid}",
                name=f"New centre at {site.name or sid}",
                kind="collection_centre",
                lon=site.lon,
                lat=site.lat,
                **extra,
            )
        )
        centre_ids.append(f"CC-{sid}")
    data = batch.model_dump(by_alias=True)
    data["sites"] = [s.model_dump() for s in new_sites]
    data["orders"] = [o.model_dump() for o in batch.orders if o.kind == "delivery"]
    draft = Batch.model_validate({**data, "orders": data["orders"]})
    travel = travel_matrices(draft)
    index = travel.index()
    pickups = []
    for o in batch.orders:
        if o.kind == "pickup":
            nearest = min(centre_ids, key=lambda c, s=o.site: travel.minutes[index[s], index[c]])
            pickups.append(o.model_copy(update={"centre": nearest}).model_dump())
    return Batch.model_validate({**data, "orders": data["orders"] + pickups})


def sample_day(batch: Batch, day: int, seed: int) -> Batch:
    """Day 0 is the batch; later days resample produce kg (×lognormal σ 0.3) and shift
    harvest times by up to ±30 min, from ``seed + day`` (the same for every scenario)."""
    if day == 0:
        return batch
    rng = np.random.default_rng(seed + day)
    orders = []
    for o in batch.orders:
        if o.kind == "pickup":
            factor = float(rng.lognormal(0.0, 0.3))
            shift = 15.0 * int(rng.integers(-2, 3))
            ready = None if o.ready is None else max(0.0, o.ready + shift)
            o = o.model_copy(
                update={
                    "kg": round(o.kg * factor, 1),
                    "m3": round(o.m3 * factor, 3),
                    "ready": ready,
                }
            )
        orders.append(o.model_dump())
    return Batch.model_validate({**batch.model_dump(by_alias=True), "orders": orders})


def _radius_min(batch: Batch, order: Order) -> float:
    """Longest ride to a centre that still meets the order's freshness (best vehicle)."""
    budget = freshness_budget_min(order, batch)
    if budget is None:
        return np.inf
    product = batch.products_by_id[order.product]
    rates = [decay_rate(product, vehicle_temp(v, batch)) for v in batch.fleet if v.count > 0]
    return budget / min(rates) if rates else 0.0


def static_measures(batch: Batch, travel: TravelMatrices) -> dict[str, float | dict]:
    """Produce-weighted access to the open centres, from the travel matrix alone."""
    index = travel.index()
    pickups = [o for o in batch.orders if o.kind == "pickup"]
    if not pickups:
        return {"produce_kg": 0.0, "mean": 0.0, "max": 0.0, "coverage": 1.0, "catchment": {}}
    kg = np.array([o.kg for o in pickups])
    minutes = np.array([travel.minutes[index[o.site], index[o.centre]] for o in pickups])
    radius = np.array([_radius_min(batch, o) for o in pickups])
    return {
        "produce_kg": float(kg.sum()),
        "mean": float((kg * minutes).sum() / kg.sum()),
        "max": float(minutes.max()),
        "coverage": float(kg[minutes <= radius].sum() / kg.sum()),
        "catchment": {o.site: str(o.centre) for o in pickups},
    }


@dataclass(frozen=True)
class DayRouting:
    """The routing simulation of one sampled day of a scenario."""

    cost: float
    km: float
    empty_return_share: float
    freshness_mean: float | None
    freshness_min: float | None
    unservable: int  # orders left out before routing: no vehicle could serve them
    vehicles: int = 0  # vehicles used


def simulate_day(
    county: Batch, travel: TravelMatrices, day: int, seed: int, time_limit_s: float
) -> DayRouting:
    """Plan sampled day ``day`` of ``county`` (its centres placed) on ``travel``."""
    day_batch = sample_day(county, day, seed)
    issues = check_feasibility(compile_problem(day_batch, travel))
    unservable = 0
    if issues:
        # An issue with no order is about the fleet as a whole (no vehicles, or more
        # that must run than there are orders): the day cannot be routed as sampled.
        everyone = any(i.order is None for i in issues)
        bad = {o.id for o in day_batch.orders} if everyone else {i.order for i in issues}
        unservable = len(bad)
        kept = [o.model_dump() for o in day_batch.orders if o.id not in bad]
        day_batch = Batch.model_validate({**day_batch.model_dump(by_alias=True), "orders": kept})
    with given_travel(county, travel):
        k = plan_batch(day_batch, time_limit_s=time_limit_s, baseline=False).kpis
    return DayRouting(
        k.total_cost,
        k.km,
        k.empty_return_share,
        k.freshness_mean,
        k.freshness_min,
        unservable,
        k.vehicles_used,
    )


def evaluate_scenario(
    scenario: Scenario, batch: Batch, days: list[DayRouting] | None = None
) -> ScenarioResult:
    """Static measures and a routing simulation of ``scenario.days`` sampled days
    (``days``: those simulations, already run, e.g. as tasks of ``optimizer.run.sweep``)."""
    county = county_with_centres(batch, scenario.open)
    travel = travel_matrices(county)
    stat = static_measures(county, travel)
    if days is None:
        days = [
            simulate_day(county, travel, day, scenario.seed, scenario.time_limit_s)
            for day in range(scenario.days)
        ]
    costs = [d.cost for d in days]
    kms = [d.km for d in days]
    empties = [d.empty_return_share for d in days]
    fresh_mean = [d.freshness_mean for d in days if d.freshness_mean is not None]
    fresh_min = [d.freshness_min for d in days if d.freshness_min is not None]
    unservable = sum(d.unservable for d in days)
    vehicles = [d.vehicles for d in days]

    def mean(values: list) -> float | None:
        return float(np.mean(values)) if values else None

    return ScenarioResult(
        name=scenario.name,
        open=scenario.open,
        base=scenario.base,
        build_cost_cny=sum(scenario.build_cost_cny.get(s, 0.0) for s in scenario.open),
        daily_cost_cny=sum(scenario.daily_cost_cny.get(s, 0.0) for s in scenario.open),
        produce_kg=stat["produce_kg"],
        mean_minutes_to_centre=stat["mean"],
        max_minutes_to_centre=stat["max"],
        fresh_coverage=stat["coverage"],
        days=len(days),
        unservable_orders=unservable,
        vehicles=mean(vehicles),
        routing_cost=mean(costs),
        routing_km=mean(kms),
        empty_return_share=mean(empties),
        freshness_mean=mean(fresh_mean),
        freshness_min=min(fresh_min) if fresh_min else None,
        catchment=stat["catchment"],
    )


# The decision table, one row per measure: (id, number format). Labels are
# ``t("siting.col." + id)``; the CSV's English header is the ids.
MEASURES: tuple[tuple[str, str], ...] = (
    ("open", "{}"),
    ("build_cost_cny", "{:,.0f}"),
    ("daily_cost_cny", "{:,.0f}"),
    ("vehicles", "{:.1f}"),
    ("routing_km", "{:,.1f}"),
    ("routing_cost", "{:,.0f}"),
    ("cost_per_day", "{:,.0f}"),
    ("fresh_coverage", "{:.1%}"),
    ("produce_kg", "{:,.0f}"),
    ("mean_minutes_to_centre", "{:.1f}"),
    ("max_minutes_to_centre", "{:.1f}"),
    ("unservable_orders", "{}"),
    ("empty_return_share", "{:.1%}"),
    ("freshness_mean", "{:.1%}"),
    ("freshness_min", "{:.1%}"),
)
# Differences from the base scenario (scenario minus base), and the payback.
DELTAS: tuple[tuple[str, str], ...] = (
    ("delta_vehicles", "{:+.1f}"),
    ("delta_km", "{:+,.1f}"),
    ("delta_cost", "{:+,.0f}"),
    ("delta_coverage", "{:+.1%}"),
    ("payback_days", "{:,.0f}"),
)


def base_index(results: list[ScenarioResult]) -> int:
    """The base scenario: the one marked ``base``, else the first."""
    marked = [i for i, r in enumerate(results) if r.base]
    if len(marked) > 1:
        names = ", ".join(f"'{results[i].name}'" for i in marked)
        raise SitingError(Said("siting.err.two_bases", names=names))
    return marked[0] if marked else 0


def _diff(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else a - b


def versus_base(result: ScenarioResult, base: ScenarioResult) -> dict[str, float | None]:
    """``result`` minus ``base`` per day, and the payback in days: the extra build cost
    over the daily saving (None when nothing more is built; ``inf`` when it never pays
    back, i.e. the scenario saves nothing a day)."""
    cost = _diff(result.cost_per_day, base.cost_per_day)
    extra = result.build_cost_cny - base.build_cost_cny
    payback: float | None = None
    if extra > 0 and cost is not None:
        payback = extra / -cost if cost < 0 else math.inf
    return {
        "delta_vehicles": _diff(result.vehicles, base.vehicles),
        "delta_km": _diff(result.routing_km, base.routing_km),
        "delta_cost": cost,
        "delta_coverage": result.fresh_coverage - base.fresh_coverage,
        "payback_days": payback,
    }


def measure(result: ScenarioResult, key: str) -> float | None:
    """The value of a ``MEASURES`` row for one scenario."""
    return len(result.open) if key == "open" else getattr(result, key)


def decision_rows(results: list[ScenarioResult], lang: str = "en") -> list[list[str]]:
    """The decision table as text, one row per measure and difference: the label, then a
    cell per scenario (``-`` for a value not simulated; the base says so in its
    difference rows)."""
    b = base_index(results)
    versus = [versus_base(r, results[b]) for r in results]
    rows = []
    for key, fmt in MEASURES:
        values = [measure(r, key) for r in results]
        rows.append([t(f"siting.col.{key}", lang), *(_cell(v, fmt, lang) for v in values)])
    for key, fmt in DELTAS:
        cells = [
            t("siting.is_base", lang) if i == b else _cell(v[key], fmt, lang)
            for i, v in enumerate(versus)
        ]
        rows.append([t(f"siting.col.{key}", lang), *cells])
    return rows


def _cell(value: float | None, fmt: str, lang: str) -> str:
    if value is None:
        return "-"
    if value == math.inf:
        return t("siting.never", lang)
    return fmt.format(value)


def comparison_markdown(results: list[ScenarioResult], lang: str = "en") -> str:
    """The decision table: scenarios side by side, one column each, the base marked."""
    b = base_index(results)
    names = [
        f"{r.name} ({t('siting.is_base', lang)})" if i == b else r.name
        for i, r in enumerate(results)
    ]
    head = f"| {t('siting.col.measure', lang)} | " + " | ".join(names) + " |"
    lines = [head, "|---|" + "---:|" * len(results)]
    lines += ["| " + " | ".join(row) + " |" for row in decision_rows(results, lang)]
    return "\n".join(lines) + f"\n\n{routing_note(results, lang)}\n"


def routing_note(results: list[ScenarioResult], lang: str = "en") -> str:
    """What the routing figures are: a mean over how many simulated days."""
    days = sorted({r.days for r in results if r.days})
    if not days:
        return t("siting.routing_none", lang)
    return t("siting.routing_note", lang, days="/".join(map(str, days)))


def comparison_csv(results: list[ScenarioResult], lang: str = "en") -> str:
    """One row per scenario, raw numbers; the header is the measure ids in English and
    their labels in Chinese. A payback that never comes is written as the word."""
    b = base_index(results)
    keys = [k for k, _ in MEASURES] + [k for k, _ in DELTAS]
    en = normalize_lang(lang) == "en"
    head = (
        ["scenario", "base", *keys]
        if en
        else [
            t("siting.scenario", lang),
            t("siting.is_base", lang),
            *(t(f"siting.col.{k}", lang) for k in keys),
        ]
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(head)
    for i, r in enumerate(results):
        values: dict[str, float | None] = {k: measure(r, k) for k, _ in MEASURES}
        values |= versus_base(r, results[b]) if i != b else dict.fromkeys(k for k, _ in DELTAS)
        mark = t("siting.is_base", lang) if i == b else ""
        cells = [
            "" if v is None else t("siting.never", lang) if v == math.inf else v
            for v in (values[k] for k in keys)
        ]
        writer.writerow([r.name, mark, *cells])
    return buffer.getvalue()


def comparison_geojson(batch: Batch, results: list[ScenarioResult]) -> dict:
    """Sites, open centres per scenario, and catchment lines station → centre."""
    features = []
    for r in results:
        county = county_with_centres(batch, r.open)
        sites = county.sites_by_id
        for s in county.sites:
            if s.kind == "collection_centre":
                features.append(
                    {
                        "type": "Feature",
                        "geometry": {"type": "Point", "coordinates": [s.lon, s.lat]},
                        "properties": {"kind": "centre", "scenario": r.name, "id": s.id},
                    }
                )
        for station, centre in r.catchment.items():
            a, b = sites[station], sites[centre]
            features.append(
                {
                    "type": "Feature",
                    "geometry": {
                        "type": "LineString",
                        "coordinates": [[a.lon, a.lat], [b.lon, b.lat]],
                    },
                    "properties": {
                        "kind": "catchment",
                        "scenario": r.name,
                        "station": station,
                        "centre": centre,
                    },
                }
            )
    return {"type": "FeatureCollection", "features": features}
