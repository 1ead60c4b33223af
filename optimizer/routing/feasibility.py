"""Pre-solve feasibility: orders that no vehicle could serve even on a trip of their own.

Each order is tried on a direct trip (start site → origin → destination → end site) by
every vehicle type allowed to carry it, at the earliest times its windows allow. An
order that fails for every type is reported with the reason of the type that came
closest, so the coordinator can fix the input before any solver runs.
"""

from __future__ import annotations

from dataclasses import dataclass

from optimizer.freshness import used_minutes
from optimizer.model import VehicleType
from optimizer.routing.problem import RoutingProblem, Vehicle
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


def _earliest(windows: list[tuple[float, float]], t: float) -> float | None:
    for a, b in windows:
        if t <= b:
            return max(t, a)
    return None


def _direct_trip(problem: RoutingProblem, k: int, vehicle: Vehicle) -> str | None:
    """None when ``vehicle`` can serve order k alone, else why not."""
    p = problem
    vt: VehicleType = vehicle.type
    order = p.orders[k]
    load, unload = (int(n) for n in p.pairs[k])
    minutes = p.travel.minutes
    start_site, end_site = p.node_site[vehicle.start_node], p.node_site[vehicle.end_node]
    origin, dest = p.node_site[load], p.node_site[unload]
    site_ids = p.travel.site_ids

    if order.kg > vt.capacity_kg + 1e-9:
        return f"weighs {order.kg:g} kg, more than a {vt.id} holds ({vt.capacity_kg:g} kg)"
    if order.m3 > vt.capacity_m3 + 1e-9:
        return f"is {order.m3:g} m³, more than a {vt.id} holds ({vt.capacity_m3:g} m³)"
    if not p.node_windows[load]:
        return f"is ready at {order.ready:g} min, after {site_ids[origin]} closes"
    if not p.node_windows[unload]:
        return f"no time at {site_ids[dest]} is open and before its cut-off"
    reach = vt.shift_start + minutes[start_site, origin]
    t_load = _earliest(p.node_windows[load], reach)
    if t_load is None:
        return (
            f"a {vt.id} leaving {site_ids[start_site]} at shift start reaches "
            f"{site_ids[origin]} at {reach:.0f} min, after its last window closes"
        )
    departure = t_load + p.node_service[load]
    t_unload = _earliest(p.node_windows[unload], departure + minutes[origin, dest])
    if t_unload is None:
        return (
            f"a {vt.id} cannot reach {site_ids[dest]} before it closes or its cut-off "
            f"(earliest arrival {departure + minutes[origin, dest]:.0f} min)"
        )
    end = t_unload + p.node_service[unload] + minutes[dest, end_site]
    began = max(vt.shift_start, t_load - minutes[start_site, origin])
    if end > vt.shift_end + 1e-9:
        return f"a {vt.id} would be back at {end:.0f} min, after its shift ends ({vt.shift_end:g})"
    if end - began > vt.max_duration_min + 1e-9:
        return (
            f"a direct trip takes {end - began:.0f} min, over the {vt.max_duration_min:g} min limit"
        )
    rule = p.freshness[k]
    if rule is not None:
        used = used_minutes(order, p.batch, vt, departure, t_unload)
        if used > rule.budget + 1e-9:
            life = rule.budget / (1.0 - order.min_freshness)
            left = 1.0 - used / life
            return (
                f"even a direct trip by {vt.id} arrives with {left:.0%} shelf life left, "
                f"below min_freshness {order.min_freshness:.0%}"
            )
    return None


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
            reason = _direct_trip(problem, k, v)
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
