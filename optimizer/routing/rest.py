"""Plan the rest: orders no vehicle could serve even alone are left out before solving,
with their reasons, and the other orders are planned.

The plan still has one outcome per order of the whole batch, its KPIs count the orders
left out (penalties of optional ones, unassigned counts), and it validates against the
whole batch.
"""

from __future__ import annotations

from collections.abc import Callable

from optimizer.kpis import compute_kpis
from optimizer.model import Batch, with_orders
from optimizer.plan import KPIs, Plan
from optimizer.routing.assemble import unserved_outcome
from optimizer.routing.feasibility import Issue


def plan_rest(batch: Batch, issues: list[Issue], plan_servable: Callable[[Batch], Plan]) -> Plan:
    """The plan of ``batch`` without the orders of ``issues`` (each about one order),
    planned by ``plan_servable``; those orders are unserved with their reasons."""
    left_out = {i.order: i for i in issues if i.order is not None}
    servable = with_orders(batch, [o for o in batch.orders if o.id not in left_out])
    plan = plan_servable(servable)
    planned = {o.order: o for o in plan.orders}
    outcomes = [
        planned[o.id] if o.id in planned else unserved_outcome(o, list(left_out[o.id].reasons))
        for o in batch.orders
    ]
    plan.orders = outcomes
    plan.kpis = compute_kpis(batch, plan.routes, outcomes)
    if plan.baseline is not None:  # the separate fleets leave the same orders out
        base = _leaving_out(batch, plan.baseline.kpis, list(left_out))
        plan.baseline.kpis = base
        paired = plan.kpis.total_cost
        plan.baseline.cost_saving_share = 1.0 - paired / base.total_cost if base.total_cost else 0.0
    return plan


def _leaving_out(batch: Batch, kpis: KPIs, order_ids: list[str]) -> KPIs:
    """``kpis`` of a plan without ``order_ids`` as KPIs of the whole batch: the orders
    are unassigned and optional ones cost their penalty."""
    orders = [batch.orders_by_id[oid] for oid in order_ids]
    penalty = sum(o.penalty or 0.0 for o in orders)
    return kpis.model_copy(
        update={
            "penalty_cost": kpis.penalty_cost + penalty,
            "total_cost": kpis.total_cost + penalty,
            "orders_unassigned": kpis.orders_unassigned + len(orders),
            "required_unassigned": kpis.required_unassigned
            + sum(o.penalty is None for o in orders),
        }
    )
