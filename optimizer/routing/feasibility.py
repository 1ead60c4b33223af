"""Pre-solve feasibility: orders that no vehicle could serve even on a trip of their own.

Each order is tried on a direct trip (start site → origin → destination → end site) by
every vehicle type allowed to carry it, at the earliest times its windows allow. An
order that fails for every type is reported with each type's reason, and the code of
the type that came closest (``optimizer.reasons``). Such an order is left out of the
plan (or, with ``strict``, refuses the batch); issues about the batch as a whole (no
vehicles, ``min_used``, single visits) always refuse it.
"""

from __future__ import annotations

from dataclasses import dataclass

from optimizer.i18n import t
from optimizer.reasons import BATCH_CODES, Reason, ReasonCode, closest, join
from optimizer.routing.alone import why_not_alone
from optimizer.routing.problem import RoutingProblem
from optimizer.routing.pyvrp_engine import unsupported


@dataclass(frozen=True)
class Issue:
    path: str  # JSON path in the batch, e.g. "orders[3]", or "fleet"
    order: str | None  # None: the issue is about the whole batch (every order)
    reasons: tuple[Reason, ...]  # one per vehicle type tried, or the batch's one

    @property
    def code(self) -> ReasonCode:
        """The code of the vehicle type that came closest (or the batch's code)."""
        return closest(self.reasons).code

    @property
    def reason(self) -> str:
        """The reasons in English."""
        return join(self.reasons, "en")

    @property
    def leaves_out_order(self) -> bool:
        """Whether planning the rest gets around the issue: it is about one order."""
        return self.order is not None and self.code not in BATCH_CODES

    def text(self, lang: str | None = "en") -> str:
        """The reasons in ``lang``."""
        return join(self.reasons, lang)

    def line(self, lang: str | None = "en") -> str:
        """``path (order 'id'): reasons`` in ``lang``."""
        where = self.path
        if self.order is not None:
            where += t("cli.issue_order", lang, order=self.order)
        return f"{where}: {self.text(lang)}"

    def __str__(self) -> str:
        return self.line("en")


class InfeasibleBatch(ValueError):
    """The batch has orders that cannot be served whatever the plan."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = issues
        super().__init__(self.text("en"))

    def text(self, lang: str | None = "en") -> str:
        """Every issue in ``lang``, one after another."""
        return t("join.semicolon", lang).join(i.line(lang) for i in self.issues)


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
        return [Issue("fleet", None, (Reason(code="no_vehicles", params={"n": n}),))]
    issues = _min_used_issues(problem)
    index = {o.id: i for i, o in enumerate(batch.orders)}
    for k, order in enumerate(problem.orders):
        path = f"orders[{index[order.id]}]"
        allowed = problem.allowed_vehicles[k]
        if not allowed:
            product = batch.products_by_id[order.product]
            why = Reason(
                code="needs_refrigeration",
                variant=product.temperature_class,
                params={"product": product.id},
            )
            issues.append(Issue(path, order.id, (why,)))
            continue
        reasons = why_not_alone(problem, k)
        if reasons is not None:
            issues.append(Issue(path, order.id, tuple(reasons)))
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
                    (
                        Reason(
                            code="min_used_unmet",
                            variant="type",
                            params={"n": vt.min_used, "vehicle": vt.id, "orders": len(carried)},
                        ),
                    ),
                )
            )
    stops = len(set(group))
    if not issues and total > stops:
        issues.append(
            Issue(
                "fleet",
                None,
                (
                    Reason(
                        code="min_used_unmet",
                        variant="total",
                        params={"n": total, "orders": stops},
                    ),
                ),
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
            (Reason(code="single_visit_unsupported", params={"why": why}),),
        )
    ]
