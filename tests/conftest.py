"""Fixtures shared by several test files."""

from __future__ import annotations

from pathlib import Path

import pytest

from optimizer.io.spreadsheet import import_batch
from optimizer.model import Batch, Order, with_orders
from optimizer.plan import Plan
from optimizer.routing.solve import plan_batch

IMPORT_FIXTURES = Path(__file__).parent / "fixtures" / "import"


@pytest.fixture(scope="session")
def solved() -> tuple[Batch, Plan]:
    """The six-village fixture county, plus an optional order not worth serving, solved."""
    batch = import_batch(IMPORT_FIXTURES / "orders_en.csv", IMPORT_FIXTURES / "sites_en.csv")
    extra = Order(id="D-skip", kind="delivery", site="V4", product="parcels", kg=5, penalty=0.01)
    batch = with_orders(batch, [*batch.orders, extra])
    return batch, plan_batch(batch, time_limit_s=1, baseline=True)
