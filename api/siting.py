"""Siting requests: their bodies, their checks, and their run in a worker process.

A request carries its county batch inline (``freshroute.batch/v1``) under ``batch``; a
scenario is a ``freshroute.siting/v1`` scenario without its ``batch`` file path. The
fields come from ``optimizer.siting`` (``CountyOptimize``, ``Scenario``, results), so
the API, the CLI and scenario files share one definition. The optimization itself is
``optimizer.siting.county.optimize_county`` and ``optimizer.siting.scenario``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
    model_validator,
)

from api.inputs import (
    Checked,
    InputError,
    Limits,
    problem,
    road_problem,
    schema_errors,
    strict,
    to_batch,
)
from optimizer.errors import Said, in_lang
from optimizer.model import Batch
from optimizer.network import travel_matrices
from optimizer.network.errors import RoadNetworkError
from optimizer.siting.county import (
    CountyOptimize,
    CountySiting,
    check_optimize,
    optimize_county,
    scenario_problems,
)
from optimizer.siting.scenario import (
    Scenario,
    ScenarioResult,
    evaluate_scenario,
    reject_opening_cost,
)

OPTIMIZE, EVALUATE, COMPARE = "siting.optimize", "siting.evaluate", "siting.compare"
SitingKind = Literal["siting.optimize", "siting.evaluate", "siting.compare"]
MAX_SCENARIOS = 20
INLINE = "(request)"  # the Scenario.batch of a scenario whose batch came inline

SitingScenario: type[BaseModel] = create_model(
    "SitingScenario",
    __config__=ConfigDict(extra="forbid", populate_by_name=True),
    __doc__="A scenario (`freshroute.siting/v1`) without `batch`: the request carries it.",
    __validators__={  # the old `opening_cost` gets its migration message, as in files
        "_no_opening_cost": model_validator(mode="before")(lambda data: reject_opening_cost(data))
    },
    **{name: (f.annotation, f) for name, f in Scenario.model_fields.items() if name != "batch"},
)


def to_scenario(spec: BaseModel, **changes: Any) -> Scenario:
    """The optimizer's scenario for a request's scenario (its batch is inline)."""
    return Scenario.model_validate({**spec.model_dump(), "batch": INLINE, **changes})


class SitingOptimizeRequest(CountyOptimize):
    """Choose centre sites for a county: the options of `freshroute site optimize`."""

    batch: Batch = Field(description="The county batch: stations with produce (pickups).")


class SitingEvaluateRequest(BaseModel):
    """Evaluate one scenario on a county batch."""

    model_config = ConfigDict(extra="forbid")
    batch: Batch = Field(description="The county batch (`freshroute.batch/v1`).")
    scenario: SitingScenario  # type: ignore[valid-type]


class SitingCompareRequest(BaseModel):
    """Compare scenarios on a county batch, the first being the base; every scenario with
    the same seed simulates the same sampled days."""

    model_config = ConfigDict(extra="forbid")
    batch: Batch = Field(description="The county batch (`freshroute.batch/v1`).")
    scenarios: list[SitingScenario] = Field(  # type: ignore[valid-type]
        min_length=2, max_length=MAX_SCENARIOS, description="The base scenario first."
    )


REQUESTS: dict[str, type[BaseModel]] = {
    OPTIMIZE: SitingOptimizeRequest,
    EVALUATE: SitingEvaluateRequest,
    COMPARE: SitingCompareRequest,
}


class SitingResultBody(BaseModel):
    """What a siting job produces: one result per scenario, and for `optimize` the
    solver's answer and a scenario for the chosen sites, ready for evaluate or compare."""

    kind: SitingKind
    optimize: CountySiting | None = Field(
        default=None, description="optimize: the chosen sites, objective, proven bound, gap."
    )
    scenario: SitingScenario | None = Field(  # type: ignore[valid-type]
        default=None, description="optimize: the chosen sites as a scenario."
    )
    results: list[ScenarioResult] = Field(
        description="Per scenario (optimize: the chosen sites, static measures, no routing)."
    )


def _parse(kind: str, data: Any, limits: Limits) -> Any:
    """The request model of ``kind`` from a checked body; 422 with every bad path."""
    if not isinstance(data, dict):
        raise InputError(422, [problem("", Said("api.siting_not_object"))])
    problems: list[dict[str, str]] = []
    batch = None
    if "batch" in data:
        try:
            batch = to_batch(data["batch"], limits, "batch")
        except InputError as e:
            problems += e.detail if isinstance(e.detail, list) else [problem("batch", e.detail)]
    rest = {k: v for k, v in data.items() if k != "batch"}
    try:
        if batch is not None:  # the other fields strictly (see ``strict``), the batch as is
            request = strict(REQUESTS[kind], {**rest, "batch": data["batch"]})
            request.batch = batch  # the batch checked above (with its road file resolved)
        else:
            request = strict(REQUESTS[kind], rest)
    except ValidationError as e:
        found = schema_errors(e)
        if "batch" in data:  # already reported above
            found = [p for p in found if p["path"] != "batch"]
        problems += found
    if problems:
        raise InputError(422, problems)
    return request


def check_request(
    kind: str,
    data: Any,
    limits: Limits,
    max_time_limit_s: float,
    roads: Callable[[Any], list[dict[str, str]]] | None = None,
) -> Checked:
    """Validate a siting request of ``kind`` (422 naming each bad field, e.g. an unknown
    site or a ``p`` larger than the candidates) and size its job's time limit.

    ``optimize`` gets the service's cap like a batch; a simulation that would need more
    than the cap (days × time_limit_s over the scenarios) is refused rather than cut.
    """
    request = _parse(kind, data, limits)
    batch: Batch = request.batch
    found: list[tuple[str, str]] = []
    if batch.travel.mode == "road_network":  # as for a batch: an unusable road file is a 422
        # Built by ``roads`` (a check process in the service), else here (the CLI, tests).
        for p in roads(data["batch"]) if roads else _roads_here(batch, limits):
            found.append((p["path"], p["reason"]))
    if kind == OPTIMIZE:
        found += check_optimize(batch, request)
        limit = min(request.time_limit_s, max_time_limit_s)
        name = batch.name
    else:
        specs = [request.scenario] if kind == EVALUATE else request.scenarios
        where = ["scenario"] if kind == EVALUATE else [f"scenarios[{i}]" for i in range(len(specs))]
        names: set[str] = set()
        for at, spec in zip(where, specs, strict=True):
            problems = scenario_problems(batch, to_scenario(spec))
            found += [(f"{at}.{path}", why) for path, why in problems]
            if spec.name in names:
                found.append((f"{at}.name", Said("siting.err.same_name", name=spec.name)))
            names.add(spec.name)
        limit = sum(s.days * s.time_limit_s for s in specs)
        if limit > max_time_limit_s:
            found.append(
                (
                    "scenario" if kind == EVALUATE else "scenarios",
                    f"the routing simulation needs up to {limit:g} s (days × time_limit_s"
                    f"{' over the scenarios' if kind == COMPARE else ''}), more than the "
                    f"{max_time_limit_s:g} s a job may run (FRESHROUTE_MAX_TIME_LIMIT)",
                )
            )
        name = ", ".join(s.name for s in specs)
    if found:
        raise InputError(422, [problem(path, why, in_lang(why, "zh-CN")) for path, why in found])
    return Checked(name=name, n_orders=len(batch.orders), time_limit_s=max(1.0, limit))


def _roads_here(batch: Batch, limits: Limits) -> list[dict[str, str]]:
    try:
        travel_matrices(batch)  # cached on disk for the worker
    except RoadNetworkError as e:
        return [road_problem(e, limits.roads_dir, "batch.travel")]
    return []


def run_siting(
    kind: str, body: Any, limit: float, progress: Callable[[str], None]
) -> dict[str, Any]:
    """Run a stored siting request within ``limit`` seconds (in a worker process): the
    result JSON (``SitingResultBody``). ``progress`` gets each phase as it starts."""
    request: Any = REQUESTS[kind].model_validate(body)
    batch: Batch = request.batch
    if kind == OPTIMIZE:
        progress("optimize")
        spec = CountyOptimize.model_validate(
            {
                **request.model_dump(exclude={"batch"}),
                "time_limit_s": min(request.time_limit_s, limit),
            }
        )
        found = optimize_county(batch, spec)
        scenario = SitingScenario(
            name=found.name, open=found.open, daily_cost_cny=found.daily_cost_cny
        )
        progress("access to the chosen sites")
        static = evaluate_scenario(to_scenario(scenario, days=0), batch)
        result = SitingResultBody(kind=kind, optimize=found, scenario=scenario, results=[static])
        return result.model_dump(mode="json", by_alias=True)
    specs = [request.scenario] if kind == EVALUATE else request.scenarios
    results = []
    for i, spec in enumerate(specs, 1):
        progress(f"scenario {i}/{len(specs)}: {spec.name}"[:64])
        results.append(evaluate_scenario(to_scenario(spec), batch))
    return SitingResultBody(kind=kind, results=results).model_dump(mode="json", by_alias=True)  # type: ignore[arg-type]
