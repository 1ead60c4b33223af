"""Drivers' rests and meal breaks, placed while a route is timed (``model.RestRules``).

China's Road Traffic Safety Law implementing regulation, art. 62: no more than 4 h of
continuous driving without a rest of at least 20 min. Continuous driving adds up the
legs' minutes; it starts again after the truck stood still, not being loaded or
unloaded, for ``min_rest_min`` in one piece: waiting at a stop, a rest after service or
a rest on the road. Before a leg that would take it past ``max_driving_min`` the driver
rests at the stop: before service when the stop's window allows (waiting counts towards
the rest), else after service; a leg longer than the limit by itself gets rests on the
road. The meal (when ``meal_window`` is set, the route leaves before it opens and is
still out when it closes: a route is timed without it first) is taken at the first stop
the truck is still at once the window is open, before or after service, whichever delays
less; or on the road when the next stop would be reached too late to eat in the window.

``Driver.leave`` is the one placement: ``timing.schedule`` (every route the native
search prices) and ``assemble.assemble_route`` (every plan route) call it stop by stop,
so a plan's rests are the ones its times were computed with. The validator rechecks
the rules on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from optimizer.model import RestRules
from optimizer.plan import Rest, Stop

EPS = 1e-9


@dataclass
class Driver:
    """One route's continuous driving, its meal and the breaks placed so far."""

    rules: RestRules
    driven: float = 0.0  # minutes driven since the last rest
    meal_due: bool = False  # a meal is to be placed
    meal_owed: bool = False  # a meal is due if the route is still out when the window closes
    rests: list[Rest] = field(default_factory=list)

    @classmethod
    def of(cls, rules: RestRules, route_start: float, *, meal: bool = True) -> Driver:
        """A driver leaving at ``route_start`` with ``rules.driven_min`` driven. A meal
        is owed when that is before the meal window opens (unless ``rules.meal_due``
        says); it is placed only with ``meal``: timing a route first without it tells
        whether the driver is back before the window closes (``meal_missing``)."""
        w = rules.meal_window
        owed = w is not None and route_start < w.start - EPS
        if rules.meal_due is not None:
            owed = w is not None and rules.meal_due
        driven = rules.driven_min or 0.0
        return cls(rules, driven=driven, meal_due=owed and meal, meal_owed=owed)

    def meal_missing(self, route_end: float) -> bool:
        """Whether a route timed without its meal ends after the meal window closes, so
        that it must be timed again with the meal."""
        w = self.rules.meal_window
        return (
            self.meal_owed
            and w is not None
            and route_end > w.end + EPS
            and not any(r.kind == "meal" for r in self.rests)
        )

    def leave(
        self,
        stop: int,
        arrival: float,
        start: float,
        service: float,
        latest: float,
        travel: float,
    ) -> tuple[float, float, float]:
        """At stop ``stop`` (reached at ``arrival``, service from ``start`` for
        ``service`` minutes, service allowed to start until ``latest``), before a leg of
        ``travel`` minutes: the service start, the departure and the arrival at the next
        stop, with the breaks this needs placed here and on the leg."""
        r = self.rules
        departure = start + service
        road_meal = None
        meal_here = False
        if self.meal_due:
            start, departure, road_meal = self._meal(stop, arrival, start, service, latest, travel)
            meal_here = not self.meal_due and road_meal is None
        idle = max(start - arrival, departure - start - service)
        if self.driven > EPS and self.driven + travel > r.max_driving_min + EPS:
            if idle < r.min_rest_min - EPS:
                start, departure = self._rest(stop, arrival, start, service, latest)
            elif not (meal_here and r.meal_min >= r.min_rest_min - EPS):
                self._absorbed(stop, arrival, start, service, departure)
            self.driven = 0.0
        elif idle >= r.min_rest_min - EPS:
            self.driven = 0.0
        return start, departure, self._drive(stop, departure, travel, road_meal)

    def _meal(
        self, stop: int, arrival: float, start: float, service: float, latest: float, travel: float
    ) -> tuple[float, float, float | None]:
        """The meal at this stop when the window is open while the truck is here, or when
        the next stop comes too late for it (then on the road, if that delays least):
        (service start, departure, when a meal on the next leg begins)."""
        r = self.rules
        assert r.meal_window is not None
        opens, closes, meal = r.meal_window.start, r.meal_window.end, r.meal_min
        departure = start + service
        options: list[tuple[float, str, float]] = []  # (delay, place, meal start)
        before = max(arrival, opens)
        if before + meal <= closes + EPS and max(start, before + meal) <= latest + EPS:
            options.append((max(start, before + meal) - start, "waiting", before))
        after = max(departure, opens)
        if after + meal <= closes + EPS:
            options.append((after + meal - departure, "after_service", after))
        if departure < opens - EPS:
            if departure + travel + meal <= closes + EPS:
                return start, departure, None  # the next stop still has time for it
            if departure + travel > opens + EPS:
                options.append((meal, "road", opens))
        if not options:
            return start, departure, None  # missed: the validator says so
        delay, place, begins = min(options)
        self.meal_due = False
        if place == "road":
            return start, departure, begins
        kind = "waiting" if place == "waiting" else "after_service"
        self.rests.append(Rest(kind="meal", place=kind, stop=stop, start=begins, end=begins + meal))
        if place == "waiting":
            start = max(start, begins + meal)
            return start, start + service, None
        return start, departure + delay, None

    def _rest(
        self, stop: int, arrival: float, start: float, service: float, latest: float
    ) -> tuple[float, float]:
        """A rest at this stop: before service when the window still allows the later
        start, else after service. (service start, departure)."""
        rest = self.rules.min_rest_min
        if arrival + rest <= latest + EPS:
            self.rests.append(
                Rest(kind="rest", place="waiting", stop=stop, start=arrival, end=arrival + rest)
            )
            start = max(start, arrival + rest)
            return start, start + service
        departure = start + service
        self.rests.append(
            Rest(
                kind="rest", place="after_service", stop=stop, start=departure, end=departure + rest
            )
        )
        return start, departure + rest

    def _absorbed(
        self, stop: int, arrival: float, start: float, service: float, departure: float
    ) -> None:
        """The rest due here, taken in the stop's idle time (waiting, or after service)."""
        if start - arrival >= departure - start - service:
            self.rests.append(
                Rest(kind="rest", place="waiting", stop=stop, start=arrival, end=start)
            )
        else:
            self.rests.append(
                Rest(
                    kind="rest",
                    place="after_service",
                    stop=stop,
                    start=start + service,
                    end=departure,
                )
            )

    def _drive(self, stop: int, departure: float, travel: float, meal_at: float | None) -> float:
        """Drive a leg of ``travel`` minutes from ``departure`` (a meal on the road at
        ``meal_at`` or as soon as the truck is on the road after it, a rest each time
        driving reaches the limit); the arrival."""
        r = self.rules
        t, left = departure, travel
        while True:
            to_limit = r.max_driving_min - self.driven
            if meal_at is not None and max(0.0, meal_at - t) <= min(left, to_limit) + EPS:
                d = max(0.0, meal_at - t)
                t, left, self.driven = t + d, left - d, self.driven + d
                end = t + r.meal_min
                self.rests.append(Rest(kind="meal", place="road", stop=stop, start=t, end=end))
                t, meal_at = end, None
                if r.meal_min >= r.min_rest_min - EPS:
                    self.driven = 0.0
                continue
            if left <= to_limit + EPS:
                self.driven += left
                return t + left
            t, left = t + to_limit, left - to_limit
            end = t + r.min_rest_min
            self.rests.append(Rest(kind="rest", place="road", stop=stop, start=t, end=end))
            t, self.driven = end, 0.0


def carried_over(
    rules: RestRules,
    stops: list[Stop],
    rests: list[Rest],
    leg_min: Callable[[str, str], float],
    service_min: Callable[[Stop], float],
    ready: float,
) -> RestRules:
    """``rules`` for the rest of a route driven along ``stops`` (a re-plan's locked
    stops, ``rests`` their breaks) that leaves its last stop at ``ready``: the continuous
    driving since the last rest, and whether the meal is still due."""
    driven, idle = 0.0, []
    for i, stop in enumerate(stops):
        nxt = stops[i + 1] if i + 1 < len(stops) else None
        road = [(r.start, r.end) for r in rests if r.stop == i and r.place == "road"]
        road = sorted(road) if nxt is not None else []  # the last leg is not driven yet
        travel = leg_min(stop.site, nxt.site) if nxt is not None else 0.0
        # Spare time on the leg (or until ``ready``) is spent standing here.
        leave = ready if nxt is None else nxt.arrival - travel - sum(e - s for s, e in road)
        stay = [(stop.arrival, stop.start), (stop.start + service_min(stop), leave)]
        idle += [*stay, *road]
        if max(hi - lo for lo, hi in stay) >= rules.min_rest_min - EPS:
            driven = 0.0
        at, left = leave, travel
        for start, end in road:
            d = min(left, max(0.0, start - at))
            driven, left, at = driven + d, left - d, end
            if end - start >= rules.min_rest_min - EPS:
                driven = 0.0
        driven += left
    w = rules.meal_window
    due = w is not None and bool(stops) and stops[0].start < w.start - EPS
    if rules.meal_due is not None:
        due = w is not None and rules.meal_due
    if w is not None and due:
        longest = max((min(hi, w.end) - max(lo, w.start) for lo, hi in idle), default=0.0)
        due = longest < rules.meal_min - EPS
    return rules.model_copy(update={"driven_min": driven, "meal_due": due})
