"""Choosing collection-centre sites for a county batch (``freshroute site optimize``).

A batch's collection centres and village stations are the candidate sites; demand is each
station's pickup kg, and cost is travel minutes from the batch's travel mode (road
networks included). ``optimize_county`` runs one of the siting models on that and names
the chosen sites. The CLI and the API both call it, so options, checks and errors are
the same everywhere: bad input raises :class:`SiteInputError`, which names each bad
field (``p``, ``must_open[1]``...) and the sites involved.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from optimizer.errors import Rendered, Said, in_lang
from optimizer.i18n import t
from optimizer.model import Batch
from optimizer.network import travel_matrices
from optimizer.siting.cflp import solve_cflp
from optimizer.siting.coverage import solve_mclp
from optimizer.siting.pmedian import solve_pmedian
from optimizer.siting.result import SitingError, SitingResult, Status
from optimizer.siting.scenario import SCENARIO_SCHEMA_ID, Scenario, reject_opening_cost

Model = Literal["pmedian", "mclp", "cflp"]
CANDIDATE_KINDS = ("collection_centre", "station")
CNY_PER_KG_MIN = 0.01  # cflp: transport-cost proxy per kg and minute of haul


class SiteInputError(SitingError):
    """Siting input that cannot be used: ``problems`` lists (field path, reason).

    Paths are relative to the options, with the county batch under ``batch``
    (``must_open[0]``, ``batch.orders``), so the API can report them as JSON paths.
    """

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{path}: {reason}" for path, reason in problems))

    def lines(self, lang: str = "en") -> list[str]:
        """``path: reason`` per problem, the reason in ``lang``."""
        return [f"{path}: {in_lang(reason, lang)}" for path, reason in self.problems]


class CountyOptimize(BaseModel):
    """Options of one siting run on a county batch."""

    model_config = ConfigDict(extra="forbid")

    model: Model = Field(
        default="pmedian",
        description=(
            "pmedian: minimise produce-weighted travel time with p centres; mclp: maximise "
            "the kg within radius_min of p centres; cflp: daily_cost_cny plus a transport "
            "cost proxy of 0.01 CNY per kg per minute, with capacities."
        ),
    )
    p: int = Field(default=1, ge=1, description="Centres to open (pmedian, mclp).")
    radius_min: float = Field(
        default=60.0, gt=0, description="mclp: minutes within which produce counts as covered."
    )
    daily_cost_cny: float = Field(
        default=500.0, ge=0, description="cflp: CNY per day to run a centre (domain.md §4.5)."
    )
    capacity_kg: float = Field(default=20000.0, gt=0, description="cflp: kg a centre takes a day.")
    budget_cny: float | None = Field(
        default=None,
        ge=0,
        description="cflp: at most this much daily_cost_cny in all, CNY a day (none: no cap).",
    )
    must_open: list[str] = Field(default_factory=list, description="Site ids that stay open.")
    forbid: list[str] = Field(default_factory=list, description="Site ids that may not open.")
    time_limit_s: float = Field(default=60.0, gt=0, le=3600, description="Solver time limit.")

    @model_validator(mode="before")
    @classmethod
    def _no_opening_cost(cls, data: object) -> object:
        return reject_opening_cost(data, "siting.err.opening_cost_renamed")


class CountySiting(BaseModel):
    """The sites chosen by one model, with the solver's objective, proven bound and gap."""

    name: str = Field(description="A scenario name for the result, e.g. 'pmedian-p2'.")
    model: Model
    open: list[str] = Field(description="Site ids where a centre is open.")
    status: str = Field(description="optimal, feasible, infeasible or no_solution.")
    objective: float | None
    bound: float | None = Field(description="Proven bound on the objective.")
    gap: float | None = Field(description="Relative gap between objective and bound.")
    time_s: float
    solver: str
    candidates: int = Field(description="Candidate sites (centres and stations).")
    stations: int = Field(description="Stations with produce (demand points).")
    daily_cost_cny: dict[str, float] = Field(
        default_factory=dict,
        description="cflp: CNY per day to run each chosen centre, as the model counted it.",
    )

    def scenario(self, batch: str) -> Scenario:
        """A ``freshroute.siting/v1`` scenario opening the chosen sites of ``batch``, with
        their daily cost when the model counted one (cflp)."""
        return Scenario(
            schema=SCENARIO_SCHEMA_ID,
            name=self.name,
            batch=batch,
            open=self.open,
            daily_cost_cny=self.daily_cost_cny,
        )


def candidate_sites(batch: Batch) -> list[str]:
    """Sites where a centre could be: the batch's centres and village stations."""
    return [s.id for s in batch.sites if s.kind in CANDIDATE_KINDS]


def station_produce(batch: Batch) -> dict[str, float]:
    """Pickup kg per station, in station-id order (the demand points)."""
    kg: dict[str, float] = {}
    for o in batch.orders:
        if o.kind == "pickup":
            kg[o.site] = kg.get(o.site, 0.0) + o.kg
    return dict(sorted(kg.items()))


def check_optimize(batch: Batch, spec: CountyOptimize) -> list[tuple[str, str]]:
    """Problems with ``spec`` on ``batch`` that no solve is needed to see (cheap)."""
    problems: list[tuple[str, str]] = []
    produce = station_produce(batch)
    if not produce:
        problems.append(("batch.orders", Said("siting.err.no_produce")))
    candidates = set(candidate_sites(batch))
    sites = batch.sites_by_id
    for field in ("must_open", "forbid"):
        for i, sid in enumerate(getattr(spec, field)):
            if sid not in sites:
                problems.append((f"{field}[{i}]", Said("name.unknown_site", value=sid)))
            elif sid not in candidates:
                kind = Said(f"site_kind.{sites[sid].kind}")
                problems.append(
                    (f"{field}[{i}]", Said("siting.err.not_candidate", site=sid, kind=kind))
                )
    must, forbid = set(spec.must_open) & candidates, set(spec.forbid) & candidates
    for i, sid in enumerate(spec.forbid):
        if sid in must:
            problems.append((f"forbid[{i}]", Said("siting.err.also_must_open", site=sid)))
    allowed = len(candidates - forbid)
    if spec.model in ("pmedian", "mclp"):
        if spec.p > allowed:
            problems.append(
                (
                    "p",
                    Said(
                        "siting.err.p_too_large",
                        p=spec.p,
                        allowed=allowed,
                        candidates=len(candidates),
                        forbidden=len(forbid),
                    ),
                )
            )
        if len(must) > spec.p:
            problems.append(
                (
                    "must_open",
                    Said(
                        "siting.err.must_over_p",
                        n=len(must),
                        sites=", ".join(sorted(must)),
                        p=spec.p,
                    ),
                )
            )
    elif produce and spec.capacity_kg * allowed < sum(produce.values()):
        problems.append(
            (
                "capacity_kg",
                Said(
                    "siting.err.capacity",
                    allowed=allowed,
                    capacity=spec.capacity_kg,
                    kg=sum(produce.values()),
                ),
            )
        )
    if spec.model == "cflp" and spec.budget_cny is not None:
        daily = spec.daily_cost_cny
        affordable = int(spec.budget_cny // daily) if daily else allowed
        need = math.ceil(sum(produce.values()) / spec.capacity_kg) if produce else 0
        if affordable < max(len(must), need):
            problems.append(
                (
                    "budget_cny",
                    Said(
                        "siting.err.budget",
                        budget=spec.budget_cny,
                        affordable=affordable,
                        daily=daily,
                        needed=max(len(must), need),
                        must=len(must),
                        need=need,
                    ),
                )
            )
    return problems


def optimize_county(batch: Batch, spec: CountyOptimize) -> CountySiting:
    """Choose centre sites for ``batch`` with ``spec.model`` within ``spec.time_limit_s``.

    Raises :class:`SiteInputError` for bad options (naming the fields and sites) and
    :class:`SitingError` when the model has no solution (e.g. unreachable stations).
    """
    problems = check_optimize(batch, spec)
    if problems:
        raise SiteInputError(problems)
    candidates = candidate_sites(batch)
    produce = station_produce(batch)
    stations = list(produce)
    travel = travel_matrices(batch)
    index = travel.index()
    cost = travel.minutes[np.ix_([index[c] for c in candidates], [index[s] for s in stations])]
    demand = np.array(list(produce.values()))
    pos = {c: i for i, c in enumerate(candidates)}
    must = [pos[x] for x in dict.fromkeys(spec.must_open)]
    forbidden = [pos[x] for x in dict.fromkeys(spec.forbid)]
    res = _solve(spec, cost, demand, must, forbidden)
    chosen = [candidates[int(i)] for i in sorted(res.open_sites)]  # indices of open sites
    if res.status in (Status.NO_SOLUTION, Status.INFEASIBLE) or not chosen:
        status = Rendered.of({"en": res.status, "zh-CN": t(f"siting.status.{res.status}", "zh-CN")})
        raise SitingError(
            Said(
                "siting.err.no_sites_chosen",
                model=spec.model,
                status=status,
                seconds=res.time_s,
                limit=spec.time_limit_s,
            )
        )
    summary = res.summary()
    return CountySiting(
        name=f"{spec.model}-p{len(chosen)}",
        model=spec.model,
        open=chosen,
        status=res.status,
        objective=summary["objective"],
        bound=summary["bound"],
        gap=summary["gap"],
        time_s=summary["time_s"],
        solver=res.solver,
        candidates=len(candidates),
        stations=len(stations),
        daily_cost_cny=dict.fromkeys(chosen, spec.daily_cost_cny) if spec.model == "cflp" else {},
    )


def _solve(
    spec: CountyOptimize,
    cost: np.ndarray,
    demand: np.ndarray,
    must: list[int],
    forbidden: list[int],
) -> SitingResult:
    """Run the chosen model on candidates × stations travel minutes."""
    limit = spec.time_limit_s
    if spec.model == "pmedian":
        return solve_pmedian(
            cost, spec.p, demand, must_open=must, forbidden=forbidden, time_limit=limit
        )
    if spec.model == "mclp":
        return solve_mclp(
            cost,
            spec.radius_min,
            spec.p,
            demand,
            must_open=must,
            forbidden=forbidden,
            skip_uncoverable=True,
            time_limit=limit,
        )
    m = cost.shape[0]
    return solve_cflp(
        cost * CNY_PER_KG_MIN,  # CNY per kg served from candidate i to station j
        demand,
        np.full(m, spec.capacity_kg),
        np.full(m, spec.daily_cost_cny),
        must_open=must,
        forbidden=forbidden,
        budget=spec.budget_cny,
        time_limit=limit,
    )


def scenario_problems(batch: Batch, scenario: Scenario) -> list[tuple[str, str]]:
    """Problems of a scenario on ``batch`` that ``evaluate_scenario`` would fail on, such as
    an unknown open site (paths relative to the scenario)."""
    problems: list[tuple[str, str]] = []
    sites = batch.sites_by_id
    opened = set(scenario.open)
    seen: set[str] = set()
    for i, sid in enumerate(scenario.open):
        site = sites.get(sid)
        new_id = f"CC-{sid}"
        if site is None:
            problems.append((f"open[{i}]", Said("name.unknown_site", value=sid)))
        elif sid in seen:
            problems.append((f"open[{i}]", Said("siting.err.listed_twice", site=sid)))
        elif site.kind == "collection_centre":
            pass
        elif batch.travel.mode == "matrix":
            problems.append((f"open[{i}]", Said("siting.err.matrix_new_site", site=sid)))
        elif new_id in sites and (sites[new_id].kind != "collection_centre" or new_id in opened):
            problems.append((f"open[{i}]", Said("siting.err.clash", site=sid, new_id=new_id)))
        seen.add(sid)
    for field in ("build_cost_cny", "daily_cost_cny"):
        for sid in getattr(scenario, field):
            if sid not in sites:
                problems.append((f"{field}.{sid}", Said("name.unknown_site", value=sid)))
    return problems
