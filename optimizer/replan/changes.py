"""What a re-plan changed, per driver: orders added, handed over, dropped, new times.

Written as ``changes.json`` (ids and minutes) and ``changes.md`` (for the drivers, in
English or Chinese).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from optimizer.i18n import t
from optimizer.model import format_clock
from optimizer.plan import Plan, Route
from optimizer.reasons import outcome_text
from optimizer.replan.events import Events
from optimizer.replan.residual import Residual

RETIME_MIN = 1.0  # a service start that moves by less is not news for a driver


class Handover(BaseModel):
    order: str
    other: str | None = Field(description="The truck it comes from or goes to; None: unserved.")


class Retimed(BaseModel):
    order: str
    action: Literal["load", "unload"]
    site: str
    old: float
    new: float


class DriverChanges(BaseModel):
    vehicle: str
    down_at: str | None = Field(default=None, description="The site it broke down at.")
    added: list[str] = Field(default_factory=list, description="Late orders it now serves.")
    moved_in: list[Handover] = Field(default_factory=list)
    moved_out: list[Handover] = Field(default_factory=list)
    cancelled: list[str] = Field(default_factory=list)
    retimed: list[Retimed] = Field(default_factory=list)

    @property
    def empty(self) -> bool:
        return (
            not (self.down_at or self.added or self.moved_in or self.moved_out or self.cancelled)
            and not self.retimed
        )


class Changes(BaseModel):
    now: float
    moved: int = Field(description="Orders served by another truck than the old plan's.")
    added: int = Field(description="Late orders served.")
    routes_unchanged: int = Field(description="Old routes whose stops after now are the same.")
    routes_before: int
    drivers: list[DriverChanges]
    unserved: list[str] = Field(description="Orders of the day not served.")
    refused_cancel: dict[str, str] = Field(default_factory=dict)

    def driver(self, vehicle: str) -> DriverChanges | None:
        return next((d for d in self.drivers if d.vehicle == vehicle), None)


def _times(plan: Plan) -> dict[tuple[str, str], tuple[str, str, float]]:
    """(order, action) -> (vehicle, site, service start) for every visit."""
    out = {}
    for r in plan.routes:
        for s in r.stops:
            for oid in s.load:
                out[(oid, "load")] = (r.vehicle, s.site, s.start)
            for oid in s.unload:
                out[(oid, "unload")] = (r.vehicle, s.site, s.start)
    return out


def _rest(route: Route | None, after: int) -> list[tuple[str, tuple[str, ...]]]:
    if route is None:
        return []
    return [(s.site, (*s.unload, *s.load)) for s in route.stops[after:] if s.load or s.unload]


def compute_changes(old: Plan, new: Plan, events: Events, res: Residual) -> Changes:
    """Per driver of the old or new plan, what the re-plan changed."""
    before = {o.order: o.vehicle for o in old.orders if o.served}
    after = {o.order: o.vehicle for o in new.orders if o.served}
    late = {o.id for o in events.add_orders}
    cancelled = set(events.cancel_orders) - set(res.refused_cancel)
    old_t, new_t = _times(old), _times(new)
    vehicles = list(
        dict.fromkeys([r.vehicle for r in old.routes] + [r.vehicle for r in new.routes])
    )
    # Grouped by truck once: a 1,000-village day has thousands of orders and ~100 trucks.
    on_after: dict[str | None, list[str]] = {}
    for o, w in after.items():
        on_after.setdefault(w, []).append(o)
    on_before: dict[str | None, list[str]] = {}
    for o, w in before.items():
        on_before.setdefault(w, []).append(o)
    visits: dict[str, list[tuple[tuple[str, str], tuple[str, str, float]]]] = {}
    for key, value in new_t.items():
        visits.setdefault(value[0], []).append((key, value))
    old_routes = {r.vehicle: r for r in old.routes}
    new_routes = {r.vehicle: r for r in new.routes}
    drivers = []
    unchanged = 0
    for v in vehicles:
        d = DriverChanges(vehicle=v)
        p = res.positions.get(v)
        if p is not None and p.down and v not in old.down:  # news: not down before
            d.down_at = p.site
        mine = on_after.get(v, [])
        d.added = [o for o in mine if o in late]
        d.moved_in = [
            Handover(order=o, other=before[o]) for o in mine if before.get(o) not in (None, v)
        ]
        d.moved_out = [
            Handover(order=o, other=after.get(o))
            for o in on_before.get(v, [])
            if after.get(o) != v and o not in cancelled
        ]
        d.cancelled = [o for o in on_before.get(v, []) if o in cancelled]
        for (oid, action), (_, site, start) in visits.get(v, []):
            was = old_t.get((oid, action))
            if (
                was is not None
                and was[0] == v
                and start > events.now
                and abs(start - was[2]) >= RETIME_MIN
            ):
                d.retimed.append(
                    Retimed(order=oid, action=action, site=site, old=was[2], new=start)
                )
        d.retimed.sort(key=lambda r: r.new)
        drivers.append(d)
        done = len(p.locked) if p is not None else 0
        if v in old_routes and _rest(old_routes[v], done) == _rest(new_routes.get(v), done):
            unchanged += 1
    return Changes(
        now=events.now,
        moved=sum(1 for o, w in after.items() if before.get(o) not in (None, w)),
        added=sum(1 for o in after if o in late),
        routes_unchanged=unchanged,
        routes_before=len(old.routes),
        drivers=drivers,
        unserved=[o.order for o in new.orders if not o.served],
        refused_cancel=res.refused_cancel,
    )


def _retimed(retimed: list[Retimed], lang: str) -> list[str]:
    """One line per stop that moves in time: its site, actions and the new and old time."""
    stops: dict[tuple[str, str, str], list[str]] = {}
    for r in retimed:
        key = (r.site, format_clock(r.new), format_clock(r.old))
        stops.setdefault(key, []).append(f"{t(f'replan.action.{r.action}', lang)} {r.order}")
    return [
        t("replan.retimed", lang, site=site, actions=", ".join(acts), new=new, old=old)
        for (site, new, old), acts in stops.items()
    ]


def driver_notes(d: DriverChanges, new: Plan, lang: str) -> list[str]:
    """The driver's changes that are not a stop of the new route: broke down, orders
    handed to another truck, dropped or cancelled."""
    outcomes = {o.order: o for o in new.orders}
    items = [t("replan.down", lang, site=d.down_at)] if d.down_at else []
    for h in d.moved_out:
        if h.other is not None:
            items.append(t("replan.moved_out", lang, order=h.order, other=h.other))
        else:
            why = outcome_text(outcomes[h.order], lang) if h.order in outcomes else ""
            items.append(t("replan.dropped", lang, order=h.order, why=why))
    return items + [
        t("replan.dropped", lang, order=o, why=t("replan.cancelled", lang)) for o in d.cancelled
    ]


def stop_marks(d: DriverChanges, lang: str) -> dict[tuple[str, str], list[str]]:
    """Per (order, ``load``|``unload``) on the driver's new route, what changed: a late
    order, taken over from another truck, a new time (with the old one)."""
    out: dict[tuple[str, str], list[str]] = {}
    for oid in d.added:
        for action in ("load", "unload"):
            out.setdefault((oid, action), []).append(t("replan.mark.added", lang))
    for h in d.moved_in:
        for action in ("load", "unload"):
            mark = t("replan.mark.moved_in", lang, other=h.other)
            out.setdefault((h.order, action), []).append(mark)
    for r in d.retimed:
        mark = t("replan.mark.retimed", lang, old=format_clock(r.old))
        out.setdefault((r.order, r.action), []).append(mark)
    return out


def changes_markdown(changes: Changes, new: Plan, lang: str = "zh-CN") -> str:
    """The changes for the drivers, in ``lang``."""
    lines = [f"# {t('replan.title', lang, now=format_clock(changes.now))}", ""]
    lines.append(
        t(
            "replan.summary",
            lang,
            moved=changes.moved,
            added=changes.added,
            unserved=len(changes.unserved),
        )
    )
    for oid, why in changes.refused_cancel.items():
        lines.append(
            f"- {t('replan.refused_cancel', lang, order=oid, why=t('replan.refused.' + why, lang))}"
        )
    outcomes = {o.order: o for o in new.orders}
    for d in changes.drivers:
        lines += ["", f"## {t('replan.driver', lang, vehicle=d.vehicle)}", ""]
        items = driver_notes(d, new, lang)
        items += [t("replan.added", lang, order=o) for o in d.added]
        items += [t("replan.moved_in", lang, order=h.order, other=h.other) for h in d.moved_in]
        items += _retimed(d.retimed, lang)
        lines += [f"- {item}" for item in items] or [f"- {t('replan.unchanged', lang)}"]
    if changes.unserved:
        lines += ["", f"## {t('replan.unserved_title', lang)}", ""]
        lines += [f"- {o}: {outcome_text(outcomes[o], lang)}" for o in changes.unserved]
    return "\n".join(lines) + "\n"
