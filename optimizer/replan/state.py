"""Where the day stands at ``now``: per truck, the stops done (locked), where and when it
can go on, and what it has on board.

The rule (the validator re-derives it independently, ``replan.check``): a truck that has
left its first stop by ``now`` keeps every stop it has left and the stop it is at or
driving to (a truck on the road continues from its next stop). A truck that broke down
at ``at`` keeps the stops it reached by then and goes no further. A truck that has not
left is free.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from optimizer.plan import Plan, Rest, Route, Stop
from optimizer.replan.events import Events
from optimizer.replan.handover import down_site


@dataclass(frozen=True)
class Position:
    """One truck with stops done: its locked stops and how it goes on."""

    vehicle: str
    vehicle_type: str
    locked: list[Stop]
    ready: float  # when it can leave its last locked stop (delays included)
    on_board: list[str]  # order ids loaded in the locked stops and not unloaded there
    down: bool
    rests: list[Rest] = field(default_factory=list)  # the driver's breaks at locked stops

    @property
    def site(self) -> str:
        return self.locked[-1].site

    @property
    def km(self) -> float:
        return sum(s.km_from_previous for s in self.locked)

    @property
    def started(self) -> float:
        return self.locked[0].start


def locked_count(route: Route, now: float, down_at: float | None = None) -> int:
    """How many leading stops of ``route`` are done at ``now`` (``down_at``: broke down)."""
    stops = route.stops
    if down_at is not None:
        return sum(1 for s in stops if s.arrival <= down_at)
    left = sum(1 for s in stops if s.departure <= now)
    return 0 if left == 0 else min(len(stops), left + 1)


def on_board(stops: list[Stop]) -> list[str]:
    """Orders loaded in ``stops`` and not unloaded in them, in loading order."""
    loaded = [oid for s in stops for oid in s.load]
    unloaded = {oid for s in stops for oid in s.unload}
    return [oid for oid in loaded if oid not in unloaded]


def positions(plan: Plan, events: Events) -> dict[str, Position]:
    """Every truck of ``plan`` with stops done at ``events.now``, by vehicle id.

    Goods a downed truck left behind that another truck has since loaded (a re-plan of a
    re-plan) are that truck's, not on board the downed one."""
    down = events.down_at()
    delays = events.delays()
    done: dict[str, tuple[Route, list[Stop]]] = {}
    for route in plan.routes:
        n = locked_count(route, events.now, down.get(route.vehicle))
        if n:
            done[route.vehicle] = (route, [s.model_copy(deep=True) for s in route.stops[:n]])
    out: dict[str, Position] = {}
    for v, (route, locked) in done.items():
        aboard = on_board(locked)
        if v in down:  # loaded at its breakdown site by another truck before now
            taken = {
                oid
                for w, (_, other) in done.items()
                if w != v
                for s in other
                if s.site == down_site(v)
                for oid in s.load
            }
            aboard = [oid for oid in aboard if oid not in taken]
        out[v] = Position(
            vehicle=v,
            vehicle_type=route.vehicle_type,
            locked=locked,
            ready=max(locked[-1].departure, events.now) + delays.get(v, 0.0),
            on_board=aboard,
            down=v in down,
            rests=[
                r
                for r in route.rests
                if r.stop < len(locked) - 1 or (r.stop == len(locked) - 1 and r.place != "road")
            ],
        )
    return out
