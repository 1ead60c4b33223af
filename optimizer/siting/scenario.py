"""Siting scenarios: which collection centres are open, and what that does to the county.

A scenario (``freshroute.siting/v1``) names a county batch and the sites where centres
are open: existing collection centres, or any other site of the batch (a village where a
new centre would be built). ``evaluate_scenario`` reports static measures from the
travel matrix (opening cost, produce-weighted travel time to the nearest centre, share of
produce kg inside each order's freshness radius) and a routing simulation of sampled
days, the same days for every scenario, through the normal planning path.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from optimizer.freshness import decay_rate, freshness_budget_min, vehicle_temp
from optimizer.model import Batch, Order, Site, read_batch
from optimizer.network import TravelMatrices, given_travel, travel_matrices
from optimizer.routing.feasibility import check_feasibility
from optimizer.routing.problem import compile_problem
from optimizer.routing.solve import plan_batch
from optimizer.siting.result import SitingError

SCENARIO_SCHEMA_ID = "freshroute.siting/v1"


class Scenario(BaseModel):
    """Open centres for one county, and how to simulate its days."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    schema_: Literal["freshroute.siting/v1"] = Field(default=SCENARIO_SCHEMA_ID, alias="schema")
    name: str
    batch: str = Field(description="The county batch file, relative to this scenario file.")
    open: list[str] = Field(min_length=1, description="Site ids where a centre is open.")
    opening_cost: dict[str, float] = Field(
        default_factory=dict, description="CNY to open (build) a centre at a site id."
    )
    days: int = Field(default=3, ge=0, le=30, description="Days of routing to simulate.")
    seed: int = Field(default=1, ge=0)
    time_limit_s: float = Field(default=5.0, gt=0, le=600)


class ScenarioResult(BaseModel):
    name: str
    open: list[str]
    opening_cost: float
    produce_kg: float
    mean_minutes_to_centre: float = Field(description="Produce-kg-weighted, nearest open centre.")
    max_minutes_to_centre: float
    fresh_coverage: float = Field(description="Share of produce kg inside its freshness radius.")
    days: int
    unservable_orders: int = Field(description="Pickups no vehicle could bring in fresh, all days.")
    routing_cost: float | None = None
    routing_km: float | None = None
    empty_return_share: float | None = None
    freshness_mean: float | None = None
    freshness_min: float | None = None
    catchment: dict[str, str] = Field(default_factory=dict, description="station → centre")


def load_scenario(path: Path) -> tuple[Scenario, Batch]:
    """A scenario file and its county batch (road paths resolved next to the batch)."""
    scenario = Scenario.model_validate(json.loads(Path(path).read_text(encoding="utf-8")))
    return scenario, read_batch((Path(path).parent / scenario.batch).resolve())


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
        raise SitingError(f"open: unknown site ids {', '.join(unknown)}")
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
            raise SitingError(f"open: '{sid}' is not a centre and matrix travel has no new sites")
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
        k.total_cost, k.km, k.empty_return_share, k.freshness_mean, k.freshness_min, unservable
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

    def mean(values: list) -> float | None:
        return float(np.mean(values)) if values else None

    return ScenarioResult(
        name=scenario.name,
        open=scenario.open,
        opening_cost=sum(scenario.opening_cost.get(s, 0.0) for s in scenario.open),
        produce_kg=stat["produce_kg"],
        mean_minutes_to_centre=stat["mean"],
        max_minutes_to_centre=stat["max"],
        fresh_coverage=stat["coverage"],
        days=scenario.days,
        unservable_orders=unservable,
        routing_cost=mean(costs),
        routing_km=mean(kms),
        empty_return_share=mean(empties),
        freshness_mean=mean(fresh_mean),
        freshness_min=min(fresh_min) if fresh_min else None,
        catchment=stat["catchment"],
    )


COLUMNS = [
    ("opening cost (CNY)", "opening_cost", "{:,.0f}"),
    ("produce kg/day", "produce_kg", "{:,.0f}"),
    ("mean min to centre", "mean_minutes_to_centre", "{:.1f}"),
    ("max min to centre", "max_minutes_to_centre", "{:.1f}"),
    ("produce inside freshness radius", "fresh_coverage", "{:.1%}"),
    ("unservable pickups (all days)", "unservable_orders", "{}"),
    ("routing cost/day (CNY)", "routing_cost", "{:,.0f}"),
    ("routing km/day", "routing_km", "{:,.1f}"),
    ("empty return legs", "empty_return_share", "{:.1%}"),
    ("freshness on arrival, mean", "freshness_mean", "{:.1%}"),
    ("freshness on arrival, min", "freshness_min", "{:.1%}"),
]


def comparison_markdown(results: list[ScenarioResult]) -> str:
    """Scenarios side by side, one column each."""
    head = "| measure | " + " | ".join(r.name for r in results) + " |"
    lines = [head, "|---|" + "---:|" * len(results)]
    for label, field, fmt in COLUMNS:
        cells = [
            "-" if getattr(r, field) is None else fmt.format(getattr(r, field)) for r in results
        ]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def comparison_csv(results: list[ScenarioResult]) -> str:
    fields = [f for _, f, _ in COLUMNS]
    rows = ["scenario," + ",".join(fields)]
    for r in results:
        rows.append(
            r.name
            + ","
            + ",".join("" if getattr(r, f) is None else str(getattr(r, f)) for f in fields)
        )
    return "\n".join(rows) + "\n"


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
