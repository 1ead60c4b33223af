"""Drivers' rest rules: placed by the planner (``routing.breaks``), shown in the plan and
the run sheets, rechecked by the validator, and kept by the engines' repaired routes.

A line of four villages an hour and forty minutes apart: a van delivering to all four
drives more than the regulation's 4 h without a rest unless the planner places one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from optimizer.io.spreadsheet import import_batch
from optimizer.model import Batch, RestRules
from optimizer.plan import Plan
from optimizer.replan.check import validate_replan
from optimizer.replan.events import Events
from optimizer.replan.residual import build_residual
from optimizer.replan.solve import replan
from optimizer.report.data import build_runsheets
from optimizer.report.runsheets import stop_records
from optimizer.routing.assemble import build_plan
from optimizer.routing.engines import EngineResult, EngineRoute
from optimizer.routing.problem import RoutingProblem, compile_problem
from optimizer.routing.search.repair import rests_repaired
from optimizer.routing.solve import plan_batch
from optimizer.routing.timing import schedule
from optimizer.validate import validate_plan
from scenarios.generate import SCENARIO_DIR, bundled_batch
from tests.conftest import IMPORT_FIXTURES

IDS = ["H", "S1", "S2", "S3", "S4"]
LINE = [
    [0, 100, 200, 300, 150],
    [100, 0, 100, 200, 250],
    [200, 100, 0, 100, 200],
    [300, 200, 100, 0, 100],
    [150, 250, 200, 100, 0],
]


def line_batch(
    rules: dict | None = None,
    *,
    windows: dict[str, tuple[float, float]] | None = None,
    back: float = 150,
    vans: int = 1,
) -> Batch:
    """Hub H and stations S1-S4 on a line (minutes = km); one delivery to each station;
    ``back``: minutes from S4 back to H; ``rules``: the van's rest rules (None: none)."""
    minutes = [row[:] for row in LINE]
    minutes[4][0] = minutes[0][4] = back
    sites = [{"id": "H", "kind": "hub", "lon": 0, "lat": 0, "service_min": 10}]
    for s in IDS[1:]:
        site: dict = {"id": s, "kind": "station", "lon": 0, "lat": 0, "service_min": 5}
        if windows and s in windows:
            site["time_windows"] = [{"start": windows[s][0], "end": windows[s][1]}]
        sites.append(site)
    van = {
        "id": "van",
        "count": vans,
        "capacity_kg": 1000,
        "capacity_m3": 10,
        "shift_start": 300,
        "shift_end": 1400,
        "max_duration_min": 1100,
    }
    if rules is not None:
        van["rest_rules"] = rules
    return Batch.model_validate(
        {
            "name": "rest-line",
            "sites": sites,
            "products": [{"id": "parcel", "category": "parcels"}],
            "orders": [
                {"id": f"d{i}", "kind": "delivery", "site": s, "product": "parcel", "kg": 10}
                for i, s in enumerate(IDS[1:], start=1)
            ],
            "fleet": [van],
            "travel": {"mode": "matrix", "site_ids": IDS, "km": minutes, "minutes": minutes},
        }
    )


def along_the_line(problem: RoutingProblem, *, rests: bool = True) -> EngineRoute:
    """Van 0 loads all four at the hub, serves S1..S4 in order and returns, timed by the
    planner's ``schedule`` (with the van's rest rules unless ``rests`` is False)."""
    v = problem.vehicles[0]
    nodes = [
        v.start_node,
        *(int(problem.pairs[k, 0]) for k in range(4)),
        *(int(problem.pairs[k, 1]) for k in range(4)),
        v.end_node,
    ]
    rules = v.type.rest_rules if rests else None
    times = schedule(problem, problem.node_view("minutes"), v.type.shift_start, nodes, rules)
    assert times is not None
    return EngineRoute(0, nodes, times)


def line_plan(batch: Batch, *, rests: bool = True) -> Plan:
    problem = compile_problem(batch)
    return build_plan(problem, [along_the_line(problem, rests=rests)], engine="test", seconds=0)


def kinds(batch: Batch, plan: Plan) -> set[str]:
    return {v.kind for v in validate_plan(batch, plan)}


def test_route_needs_two_rests() -> None:
    batch = line_batch({})
    plan = line_plan(batch)
    route = plan.routes[0]
    # 100 + 100 min driven by S2, the next 100 would make 300: rest at S2; again at S4.
    assert [(r.kind, r.place, r.stop) for r in route.rests] == [
        ("rest", "waiting", 2),
        ("rest", "waiting", 4),
    ]
    s2 = route.stops[2]
    assert s2.start - s2.arrival == pytest.approx(20)
    assert all(r.end - r.start == pytest.approx(20) for r in route.rests)
    # The rests are paid: 40 minutes more than the same route without rules.
    free = line_plan(line_batch(None)).routes[0]
    assert route.duration_min == pytest.approx(free.duration_min + 40)
    assert route.cost.time > free.cost.time
    assert validate_plan(batch, plan) == []


def test_rest_absorbed_by_waiting() -> None:
    """S2 opens at 09:20: the van waits there 45 min anyway, which is its rest."""
    windows = {"S2": (560.0, 900.0)}
    plan = line_plan(line_batch({}, windows=windows))
    free = line_plan(line_batch(None, windows=windows))
    first = plan.routes[0].rests[0]
    s2 = plan.routes[0].stops[2]
    assert (first.place, first.stop, first.start, first.end) == ("waiting", 2, s2.arrival, 560.0)
    # No minute added up to S3: the rest took the wait's place.
    for a, b in zip(plan.routes[0].stops[:4], free.routes[0].stops[:4], strict=True):
        assert (a.arrival, a.start, a.departure) == (b.arrival, b.start, b.departure)
    assert validate_plan(line_batch({}, windows=windows), plan) == []


def test_meal_break_in_its_window() -> None:
    rules = {"meal_window": {"start": "11:30", "end": "13:30"}, "meal_min": 30}
    batch = line_batch(rules)
    plan = line_plan(batch)
    meals = [r for r in plan.routes[0].rests if r.kind == "meal"]
    assert len(meals) == 1
    assert meals[0].start >= 690 and meals[0].end <= 810
    assert meals[0].end - meals[0].start == pytest.approx(30)
    assert validate_plan(batch, plan) == []
    # The same route planned without the meal breaks the rule.
    unfed = line_plan(line_batch({"max_driving_min": 600}))
    violations = validate_plan(line_batch({"max_driving_min": 600, **rules}), unfed)
    assert [v.kind for v in violations] == ["rest"]
    assert "meal window" in violations[0].message


def test_no_meal_when_back_before_the_window_closes() -> None:
    """Back at the hub by 15:30, inside a 07:00-17:00 meal window: no meal break planned
    (the driver eats at home), and the validator asks for none."""
    batch = line_batch({"meal_window": {"start": "07:00", "end": "17:00"}})
    plan = line_plan(batch)
    assert plan.routes[0].stops[-1].arrival < 17 * 60
    assert all(r.kind == "rest" for r in plan.routes[0].rests)
    assert validate_plan(batch, plan) == []


def test_long_single_leg_rests_on_the_road() -> None:
    """500 min from S4 back to the hub: two rests on the road, after 240 min each."""
    batch = line_batch({}, back=500)
    plan = line_plan(batch)
    route = plan.routes[0]
    road = [r for r in route.rests if r.place == "road"]
    assert [(r.stop, r.end - r.start) for r in road] == [(4, 20.0), (4, 20.0)]
    s4, end = route.stops[4], route.stops[5]
    assert road[0].start == pytest.approx(s4.departure + 240)
    assert road[1].start == pytest.approx(road[0].end + 240)
    assert end.arrival == pytest.approx(s4.departure + 500 + 40)
    assert validate_plan(batch, plan) == []


def test_validator_catches_a_missing_rest() -> None:
    """The same route timed without rests breaks the rules once the van has them."""
    plan = line_plan(line_batch(None))
    assert validate_plan(line_batch(None), plan) == []
    violations = validate_plan(line_batch({}), plan)
    assert {v.kind for v in violations} == {"rest"}
    assert any("without a rest of 20 min" in v.message for v in violations)


def test_validator_catches_an_edited_time() -> None:
    """Service at S2 moved 15 min earlier: the listed rest no longer fits, and the driving
    before S3 is no longer broken by 20 idle minutes."""
    batch = line_batch({})
    plan = line_plan(batch)
    s2 = plan.routes[0].stops[2]
    s2.start -= 15
    s2.departure -= 15
    violations = validate_plan(batch, plan)
    assert "rest" in {v.kind for v in violations}
    assert any("idle time" in v.message for v in violations)
    # ... and a road rest that the leg's time does not hold.
    long = line_batch({}, back=500)
    plan = line_plan(long)
    plan.routes[0].stops[-1].arrival -= 20
    assert "rest" in kinds(long, plan)


def test_engine_routes_repaired_when_rests_miss_a_window() -> None:
    """An engine (no rests) serves S1..S4 on one van; with the rest at S2 the van reaches
    S3 after its window closes: the repaired routes keep every rule and serve all."""
    windows = {"S3": (600.0, 635.0)}
    batch = line_batch({}, windows=windows, vans=2)
    problem = compile_problem(batch)
    engine = along_the_line(problem, rests=False)
    broken = build_plan(problem, [engine], engine="test", seconds=0)
    assert "time_window" in kinds(batch, broken)
    repaired = rests_repaired(problem, EngineResult([engine], 0.0, "success", 0.0))
    plan = build_plan(problem, repaired.routes, engine="test", seconds=0)
    assert validate_plan(batch, plan) == []
    assert plan.kpis.orders_served == 4


def test_solve_places_rests_and_validates() -> None:
    batch = line_batch({}, back=300)
    plan = plan_batch(batch, time_limit_s=1)
    assert validate_plan(batch, plan) == []
    assert plan.kpis.orders_served == 4
    assert any(route.rests for route in plan.routes)


def test_bundled_scenario_with_rest_rules_validates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(SCENARIO_DIR)  # its road network file sits beside it
    batch = bundled_batch("demo-county")
    assert all(vt.rest_rules == RestRules() for vt in batch.fleet)
    plan = plan_batch(batch, time_limit_s=2)
    assert validate_plan(batch, plan) == []
    assert plan.kpis.required_unassigned == 0


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "rest 08:35-08:55 (20 min), at the stop, before service"),
        ("zh-CN", "休息 08:35-08:55（20 分钟），在本站，作业前"),
    ],
)
def test_run_sheet_shows_the_rest(lang: str, text: str) -> None:
    batch = line_batch({})
    plan = line_plan(batch)
    records = stop_records(build_runsheets(batch, plan)[0], lang)
    s2 = next(r for r in records if r["site_id"] == "S2")
    assert text in str(s2["note"])
    # The rest's wait stays at S2 (it is not moved to S1 as a later departure).
    assert s2["arrival"] == plan.routes[0].stops[2].arrival


def test_meal_rules_that_cannot_hold_are_refused() -> None:
    with pytest.raises(ValueError, match="meal_window is shorter than meal_min"):
        RestRules.model_validate({"meal_window": {"start": 700, "end": 720}, "meal_min": 30})
    with pytest.raises(ValueError, match="a meal break is a rest too"):
        RestRules.model_validate({"meal_window": {"start": 700, "end": 820}, "meal_min": 15})


def test_replan_carries_the_driving_done() -> None:
    """Re-planned as the truck reaches S1 (100 min driven, no rest yet): it goes on from
    S1 with those 100 minutes counted and its meal still due, and the stitched day keeps
    its rests."""
    rules = {"meal_window": {"start": "11:30", "end": "13:30"}}
    batch = line_batch(rules)
    old = line_plan(batch)
    assert validate_plan(batch, old) == []
    now = old.routes[0].stops[1].arrival - 1  # on the road to S1: it goes on to S1
    events = Events.model_validate({"now": now})
    truck = build_residual(batch, old, events).batch.fleet
    on_road = next(vt for vt in truck if vt.id.startswith("@"))
    assert on_road.rest_rules is not None
    assert on_road.rest_rules.driven_min == pytest.approx(100)
    assert on_road.rest_rules.meal_due is True
    result = replan(batch, old, events, time_limit_s=1)
    new = result.plan
    assert validate_replan(batch, old, events, new, result.residual.day) == []
    assert [r.kind for r in new.routes[0].rests] == [r.kind for r in old.routes[0].rests]


def test_county_spreadsheets_keep_the_regulation(tmp_path: Path) -> None:
    """The staff's import path: the default fleet and a fleet table without the column
    get the regulation's rules; a row saying 否 (no) gets none."""
    orders, sites = IMPORT_FIXTURES / "orders_en.csv", IMPORT_FIXTURES / "sites_en.csv"
    assert all(vt.rest_rules == RestRules() for vt in import_batch(orders, sites).fleet)
    fleet = tmp_path / "fleet.csv"
    fleet.write_text(
        "车型,数量,载重,容积,冷藏,驾驶休息\nreefer,2,1500,13,是,\nvan,2,1000,8,否,否\n",
        encoding="utf-8",
    )
    by_id = {vt.id: vt for vt in import_batch(orders, sites, fleet_path=fleet).fleet}
    assert by_id["reefer"].rest_rules == RestRules()
    assert by_id["van"].rest_rules is None


def test_a_truck_with_nothing_left_rests_on_its_drive_home() -> None:
    """Re-planned while the van serves S4, its last stop, 5 h from the hub: with nothing
    left to serve it drives home from there, and that drive gets the rests it needs (it
    was stitched as one 300-minute leg without a rest, and the day's plan failed
    validation: seen on county-400 re-planned at 13:00)."""
    batch = line_batch({}, back=300)
    old = line_plan(batch)
    assert validate_plan(batch, old) == []
    s4 = old.routes[0].stops[4]
    events = Events.model_validate({"now": s4.departure - 1})
    result = replan(batch, old, events, time_limit_s=1)
    new = result.plan
    assert validate_replan(batch, old, events, new, result.residual.day) == []
    route = new.routes[0]
    home = route.stops[-1]
    assert home.site == "H" and len(route.stops) == len(old.routes[0].stops)
    on_the_way = [r for r in route.rests if r.stop == 4 and r.place == "road"]
    assert [r.start - s4.departure for r in on_the_way] == [pytest.approx(240)]
    assert home.arrival == pytest.approx(s4.departure + 300 + 20)
