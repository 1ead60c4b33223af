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
    path: str  # JSON path in the batch, e.g. "orders[3]", or "fleet"
    order: str | None  # None: the issue is about the whole batch (every order)
    reason: str

    def __str__(self) -> str:
        if self.order is None:
            return f"{self.path}: {self.reason}"
        return f"{self.path} (order '{self.order}'): {self.reason}"


class InfeasibleBatch(ValueError):
    """The batch has orders that cannot be served whatever the plan."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = issues
        super().__init__("; ".join(str(i) for i in issues))


def check_feasibility(problem: RoutingProblem) -> list[Issue]:
    """Orders no single vehicle could serve on its own; empty when all are servable.

    A fleet with no vehicles at all (every ``count`` 0) is one issue at ``fleet`` (with no
    order) when there are orders; with no orders either, the batch plans to an empty plan.
    More vehicles that must run (``min_used``) than orders to give them are issues at
    ``fleet[i].min_used`` or ``fleet``.
    """
    batch = problem.batch
    if not problem.vehicles:
        if not problem.orders:
            return []
        n = len(problem.orders)
        return [
            Issue(
                "fleet",
                None,
                f"the fleet has no vehicles (every count is 0), so none of the {n} "
                f"order{'s' if n != 1 else ''} can be served; give at least one vehicle a count",
            )
        ]
    issues = _min_used_issues(problem)
    index = {o.id: i for i, o in enumerate(batch.orders)}
    for k, order in enumerate(problem.orders):
        path = f"orders[{index[order.id]}]"
        allowed = problem.allowed_vehicles[k]
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


def _min_used_issues(problem: RoutingProblem) -> list[Issue]:
    """Types whose ``min_used`` vehicles cannot all run: a running vehicle serves at least
    one order it may carry, and a single-visit station's orders ride on one truck."""
    p = problem
    group = list(range(len(p.orders)))  # order → the first order of its stop
    for chain in p.visits:
        ks = [int(p.node_order[n]) for n in chain]
        for k in ks:
            group[k] = ks[0]
    type_of = [v.type.id for v in p.vehicles]
    issues = []
    total = 0
    for i, vt in enumerate(p.batch.fleet):
        if vt.min_used == 0:
            continue
        total += vt.min_used
        carried = {
            group[k]
            for k in range(len(p.orders))
            if any(type_of[j] == vt.id for j in p.allowed_vehicles[k])
        }
        if vt.min_used > len(carried):
            issues.append(
                Issue(
                    f"fleet[{i}].min_used",
                    None,
                    f"{vt.min_used} vehicles of type '{vt.id}' must run, but only "
                    f"{len(carried)} orders "
                    "(single-visit stops counted once) can ride on one, and each vehicle that "
                    "runs serves at least one",
                )
            )
    stops = len(set(group))
    if not issues and total > stops:
        issues.append(
            Issue(
                "fleet",
                None,
                f"min_used adds up to {total} vehicles that must run, but the batch has only "
                f"{stops} orders (single-visit stops counted once), and each vehicle that runs "
                "serves at least one",
            )
        )
    return issues


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
