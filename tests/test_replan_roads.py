"""A road of a road network closed during the day: the re-plan drives around it, on
matrices recomputed without it, and the re-plan checker holds every later leg to them."""

from __future__ import annotations

from pathlib import Path

import pytest

from optimizer.io.spreadsheet import import_batch
from optimizer.model import Batch, HaversineTravel, RoadNetworkTravel
from optimizer.network import travel_matrices
from optimizer.network.closures import Closure, closed_road_matrices
from optimizer.network.synthetic import synthetic_roads, write_roads
from optimizer.plan import Plan
from optimizer.replan.check import validate_replan
from optimizer.replan.events import Events
from optimizer.replan.residual import ReplanInputError, build_residual
from optimizer.replan.solve import replan
from optimizer.replan.state import locked_count
from optimizer.routing.solve import plan_batch
from tests.conftest import IMPORT_FIXTURES


@pytest.fixture(scope="module")
def roads_day(tmp_path_factory: pytest.TempPathFactory) -> tuple[Batch, Plan]:
    """The six-village county on a synthetic road network through its sites, planned."""
    batch = import_batch(IMPORT_FIXTURES / "orders_en.csv", IMPORT_FIXTURES / "sites_en.csv")
    points = [(s.lon, s.lat) for s in batch.sites]
    hub = next(i for i, s in enumerate(batch.sites) if s.kind == "hub")
    path = write_roads(
        synthetic_roads(points, [hub], seed=3), tmp_path_factory.mktemp("r") / "r.geojson"
    )
    travel = RoadNetworkTravel(mode="road_network", path=str(path), oneway_field=None)
    batch = batch.model_copy(update={"travel": travel})
    return batch, plan_batch(batch, time_limit_s=1, baseline=False)


def _legs_after(plan: Plan, now: float) -> list[tuple[str, str]]:
    """Legs between two different sites that the plan drives after ``now``."""
    out = []
    for r in plan.routes:
        n = locked_count(r, now)
        for a, b in zip(r.stops[max(n - 1, 0) :], r.stops[max(n, 1) :], strict=False):
            if a.site != b.site:
                out.append((a.site, b.site))
    return out


def test_closed_road_is_driven_around(roads_day: tuple[Batch, Plan]) -> None:
    batch, plan = roads_day
    route = max(plan.routes, key=lambda r: len(r.stops))
    now = route.stops[1].departure
    base = travel_matrices(batch)
    index = base.index()
    sites = [(s.id, s.lon, s.lat) for s in batch.sites]
    for a, b in _legs_after(plan, now):  # the first leg whose road can be closed
        try:
            closed = closed_road_matrices(
                sites,
                batch.travel,
                [Closure(*((batch.sites_by_id[x].lon, batch.sites_by_id[x].lat) for x in (a, b)))],
            )
        except Exception:  # no direct road between them, or closing it cuts a site off
            continue
        km, minutes = closed.km, closed.minutes
        if minutes[index[a], index[b]] > base.minutes[index[a], index[b]] + 1:
            break
    else:
        pytest.fail("no leg after now runs on a road that can be closed")
    events = {"now": now, "road_closed": [{"road": [a, b]}]}
    parsed = Events.model_validate(events)
    result = replan(batch, plan, parsed, time_limit_s=0.5)
    assert validate_replan(batch, plan, parsed, result.plan, result.day) == []
    # Every leg after now is measured on the network without the road.
    for r in result.plan.routes:
        n = (
            len(result.residual.positions[r.vehicle].locked)
            if r.vehicle in result.residual.positions
            else 1
        )
        for x, y in zip(r.stops[n - 1 :], r.stops[n:], strict=False):
            i, j = index[x.site], index[y.site]
            assert y.km_from_previous == pytest.approx(km[i, j], rel=1e-6, abs=1e-6)
            assert y.arrival >= x.departure + minutes[i, j] - 1e-6
    # The plan that ignores the closure is caught: it drives a→b as before.
    blind = replan(batch, plan, Events.model_validate({"now": now}), time_limit_s=0.5)
    assert (a, b) in _legs_after(blind.plan, now)  # the old leg, kept without the event
    found = validate_replan(batch, plan, parsed, blind.plan, blind.day)
    assert any(v.kind == "travel" for v in found)
    assert (a, b) not in _legs_after(result.plan, now) or km[index[a], index[b]] != pytest.approx(
        base.km[index[a], index[b]]
    )


def test_closed_road_errors_name_the_event(roads_day: tuple[Batch, Plan], tmp_path: Path) -> None:
    batch, plan = roads_day
    now = plan.routes[0].stops[1].departure
    far = {"now": now, "road_closed": [{"road": [[100.0, 20.0], "HUB"]}]}
    with pytest.raises(ReplanInputError, match=r"road_closed\[0\]\.road: no road junction"):
        build_residual(batch, plan, Events.model_validate(far))
    unknown = {"now": now, "road_closed": [{"road": ["HUB", "nope"]}]}
    with pytest.raises(ReplanInputError, match=r"road_closed\[0\]\.road\[1\]: unknown site"):
        build_residual(batch, plan, Events.model_validate(unknown))
    same = {"now": now, "road_closed": [{"road": ["HUB", "HUB"]}]}
    with pytest.raises(ReplanInputError, match=r"road_closed\[0\]\.road: no road joins"):
        build_residual(batch, plan, Events.model_validate(same))
    straight = batch.model_copy(update={"travel": HaversineTravel(mode="haversine")})
    with pytest.raises(ReplanInputError, match=r"road_closed\[0\]\.road: closing a road needs"):
        build_residual(
            Batch.model_validate(straight.model_dump(by_alias=True)),
            plan,
            Events.model_validate(unknown),
        )
    with pytest.raises(ValueError, match="either 'from' and 'to'"):
        Events.model_validate({"now": now, "road_closed": [{"from": "HUB", "road": ["HUB", "V1"]}]})


def test_a_road_closed_after_a_breakdown(roads_day: tuple[Batch, Plan]) -> None:
    """The day of a re-plan after a breakdown keeps its road network, so a road can be
    closed in a later re-plan of it."""
    batch, plan = roads_day
    route = max(plan.routes, key=lambda r: len(r.stops))
    now = route.stops[1].departure
    first = replan(
        batch,
        plan,
        Events.model_validate({"now": now, "vehicle_down": [{"vehicle": route.vehicle}]}),
        time_limit_s=0.5,
    )
    assert any(s.id.startswith("down:") for s in first.day.sites)  # goods wait there
    assert isinstance(first.day.travel, RoadNetworkTravel)
    later = now + 20
    for a, b in _legs_after(first.plan, later):
        events = Events.model_validate({"now": later, "road_closed": [{"road": [a, b]}]})
        try:
            second = replan(first.day, first.plan, events, time_limit_s=0.5)
        except ReplanInputError:  # no direct road between them, or closing it cuts a site off
            continue
        assert validate_replan(first.day, first.plan, events, second.plan, second.day) == []
        assert second.plan.down == {route.vehicle: now}
        break
    else:
        pytest.fail("no road to close after the breakdown")
