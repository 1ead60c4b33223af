"""Very large batches are planned in parts by location and joined into one valid plan."""

from __future__ import annotations

import pytest

from optimizer.model import Batch
from optimizer.routing import decompose
from optimizer.routing.solve import plan_batch
from optimizer.validate import validate_plan
from scenarios.generate import generate_county


@pytest.fixture
def small_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Decompose from 20 orders, about 15 orders a part."""
    monkeypatch.setattr(decompose, "DECOMPOSE_ABOVE", 20)
    monkeypatch.setattr(decompose, "ORDERS_PER_PART", 15)


def test_clusters_cover_every_station_once() -> None:
    batch = generate_county(30, 3)
    clusters = decompose.station_clusters(batch, 4, seed=1)
    stations = [s for c in clusters for s in c]
    assert sorted(stations) == sorted({o.site for o in batch.orders})
    assert 2 <= len(clusters) <= 4


@pytest.mark.usefixtures("small_parts")
def test_parts_join_into_one_valid_plan() -> None:
    batch = generate_county(24, 5)
    assert decompose.parts_needed(batch) >= 2
    plan = plan_batch(batch, time_limit_s=4.0)
    assert "parts by location" in plan.engine
    assert validate_plan(batch, plan) == []
    assert plan.kpis.required_unassigned == 0
    assert plan.baseline is None  # no separate-fleets baseline for a batch in parts
    vehicles = [r.vehicle for r in plan.routes]
    assert len(vehicles) == len(set(vehicles))
    assert [o.order for o in plan.orders] == [o.id for o in batch.orders]


def test_small_batches_are_planned_whole() -> None:
    assert decompose.parts_needed(generate_county(12, 1)) == 1


@pytest.mark.usefixtures("small_parts")
def test_a_fleet_with_min_used_is_planned_whole() -> None:
    data = generate_county(24, 5).model_dump(by_alias=True)
    assert decompose.parts_needed(Batch.model_validate(data)) >= 2
    data["fleet"][-1]["min_used"] = 1  # binds the whole fleet, not one part
    assert decompose.parts_needed(Batch.model_validate(data)) == 1
