"""Fixtures shared by several test files."""

from __future__ import annotations

from pathlib import Path

import pytest

from optimizer.io.spreadsheet import import_batch
from optimizer.model import Batch, Order, with_orders
from optimizer.plan import Plan
from optimizer.routing.solve import plan_batch

IMPORT_FIXTURES = Path(__file__).parent / "fixtures" / "import"


@pytest.fixture(scope="session", autouse=True)
def compiled_kernels() -> None:
    """Compile the numba kernels (or load them from numba's cache) before any test: a
    solve counts compiling against its time limit, and a short-limit test run from a
    fresh checkout (``pytest`` without ``make``) would otherwise spend it compiling."""
    from optimizer.warm import warm_up

    warm_up()  # no batch: the search's kernels and the road network's


@pytest.fixture(scope="session")
def solved() -> tuple[Batch, Plan]:
    """The six-village fixture county, plus an optional order not worth serving, solved."""
    batch = import_batch(IMPORT_FIXTURES / "orders_en.csv", IMPORT_FIXTURES / "sites_en.csv")
    extra = Order(id="D-skip", kind="delivery", site="V4", product="parcels", kg=5, penalty=0.01)
    batch = with_orders(batch, [*batch.orders, extra])
    return batch, plan_batch(batch, time_limit_s=1, baseline=True)
