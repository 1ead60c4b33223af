"""Pre-solve feasibility: orders that no vehicle could serve even on a trip of their own.

Each order is tried on a direct trip (start site → origin → destination → end site) by
every vehicle type allowed to carry it, at the earliest times its windows allow. An
order that fails for every type is reported with the reason of the type that came
closest, so the coordinator can fix the input before any solver runs.
"""

from __future__ import annotations

from dataclasses import dataclass

from optimizer.routing.alone import direct_trip
from optimizer.routing.problem import RoutingProblem
from optimizer.routing.pyvrp_engine import unsupported


@dataclass(frozen=True)
class Issue:
    path: str  # JSON path in the batch, e.g. "orders[3]"
    order: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path} (order '{self.order}'): {self.reason}"


class InfeasibleBatch(ValueError):
    """The batch has orders that cannot be served whatever the plan."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = issues
        super().__init__("; ".join(str(i) for i in issues))


def check_feasibility(problem: RoutingProblem) -> list[Issue]:
    """Orders no single vehicle could serve on its own; empty when all are servable."""
    issues = []
    batch = problem.batch
    index = {o.id: i for i, o in enumerate(batch.orders)}
    for k, order in enumerate(problem.orders):
        path = f"orders[{index[order.id]}]"
        allowed = problem.allowed_vehicles[k]
        if not problem.vehicles:
            issues.append(Issue(path, order.id, "the fleet has no vehicles (every count is 0)"))
            continue
        if not allowed:
            product = batch.products_by_id[order.product]
            issues.append(
                Issue(
                    path,
                    order.id,
                    f"product '{product.id}' is {product.temperature_class} and no vehicle in "
                    "the fleet is refrigerated at a temperature it tolerates",
                )
            )
            continue
        reasons: list[str] = []
        seen: set[str] = set()
        for v in (problem.vehicles[i] for i in allowed):
            if v.type.id in seen:
                continue
            seen.add(v.type.id)
            reason = direct_trip(problem, k, v)
            if reason is None:
                break
            reasons.append(reason)
        else:
            issues.append(Issue(path, order.id, "; ".join(reasons)))
    return issues + _single_visit_issues(problem)


def _single_visit_issues(problem: RoutingProblem) -> list[Issue]:
    """Single-visit stations the engines cannot build: OR-Tools keeps a combined stop
    exactly but cannot insert one itself, so PyVRP must be able to hold the batch."""
    if not problem.visits:
        return []
    why = unsupported(problem)
    if why is None:
        return []
    batch = problem.batch
    index = {s.id: i for i, s in enumerate(batch.sites)}
    first = problem.orders[int(problem.node_order[problem.visits[0][0]])]
    return [
        Issue(
            f"sites[{index[first.site]}].single_visit",
            first.id,
            "a single visit for parcels and produce can be planned only when every truck "
            "is single-trip from one hub to one collection centre, without several time "
            f"windows, deliveries-first or arrival deadlines on the produce (here: {why})",
        )
    ]
