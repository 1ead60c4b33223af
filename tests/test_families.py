"""The independent instance families of benchmarks/families.py: valid, servable,
deterministic per seed, and solvable by plan_batch."""

from __future__ import annotations

import pytest

from benchmarks.families import (
    CENTRES,
    COSTS,
    FAMILIES,
    FLEETS,
    SHELVES,
    VISITS,
    family_batch,
    resolve,
)
from optimizer.model import MatrixTravel
from optimizer.routing.feasibility import check_feasibility
from optimizer.routing.problem import compile_problem
from optimizer.routing.solve import plan_batch
from optimizer.validate import validate_plan

STOPS = 12


def test_families_cover_every_axis_value() -> None:
    fams = list(FAMILIES.values())
    for axis, values in (
        ("cost", COSTS),
        ("fleet", FLEETS),
        ("shelf", SHELVES),
        ("visits", VISITS),
        ("centre", CENTRES),
    ):
        assert {getattr(f, axis) for f in fams} == set(values), axis
    assert resolve(["all"]) == list(FAMILIES)


@pytest.mark.parametrize("family", list(FAMILIES))
def test_family_batch_is_valid_and_servable(family: str) -> None:
    fam = FAMILIES[family]
    batch = family_batch(family, STOPS, seed=1)
    stations = [s for s in batch.sites if s.kind == "station"]
    assert len(stations) == STOPS
    assert isinstance(batch.travel, MatrixTravel)
    assert check_feasibility(compile_problem(batch)) == []
    # many stations both receive parcels and send produce
    kinds: dict[str, set[str]] = {}
    for o in batch.orders:
        kinds.setdefault(o.site, set()).add(o.kind)
    assert sum(k == {"delivery", "pickup"} for k in kinds.values()) >= STOPS // 3
    assert all(s.single_visit == (fam.visits == "single-visit") for s in stations)
    if fam.fleet == "mixed":
        assert {v.refrigerated for v in batch.fleet} == {True, False}
    else:
        assert len(batch.fleet) == 1
    perishable = [p for p in batch.products if p.shelf_life_h is not None]
    assert bool(perishable) == (fam.shelf != "no-shelf")
    hub, centre = batch.sites_by_id["HUB"], batch.sites_by_id["CC"]
    same = (hub.lon, hub.lat) == (centre.lon, centre.lat)
    assert same == (fam.centre == "centre-at-hub")
    vt = batch.fleet[0]
    if fam.cost == "fuel-wage":
        assert vt.has_fuel and vt.cost_per_hour > 0 and hub.time_windows
    elif fam.cost == "km-fixed":
        assert vt.cost_per_hour == 0 and not vt.has_fuel
    else:
        assert vt.cost_per_hour > 20 * vt.cost_per_km


@pytest.mark.parametrize("family", list(FAMILIES))
def test_family_batch_is_deterministic_per_seed(family: str) -> None:
    a = family_batch(family, STOPS, seed=7).model_dump_json()
    assert a == family_batch(family, STOPS, seed=7).model_dump_json()
    assert a != family_batch(family, STOPS, seed=8).model_dump_json()


@pytest.mark.parametrize(
    "family",
    [
        "fuel-wage/one-type/tight-shelf/multi-visit/centre-apart",
        "time/mixed/no-shelf/single-visit/centre-at-hub",
    ],
)
def test_family_batch_is_solved_with_a_valid_plan(family: str) -> None:
    batch = family_batch(family, STOPS, seed=2)
    plan = plan_batch(batch, time_limit_s=1, baseline=False)
    assert validate_plan(batch, plan) == []
    assert plan.kpis.required_unassigned == 0
