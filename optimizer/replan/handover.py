"""Goods handed over after a breakdown: loaded by a truck that broke down, left where it
stopped (``down:<vehicle>``, no cold room) and loaded there by another truck.

One place says which orders of a plan were handed over and how much of their shelf life
the two rides and the wait used, for the re-plan (``residual``), its outcomes
(``stitch``) and its checks (``check``), in this re-plan or a later one.
"""

from __future__ import annotations

from dataclasses import dataclass

from optimizer.freshness import decay_rate, storage_temp, used_minutes, vehicle_temp
from optimizer.model import Batch
from optimizer.plan import Route, Stop


def down_site(vehicle: str) -> str:
    """The site where a downed truck's goods wait."""
    return f"down:{vehicle}"


@dataclass(frozen=True)
class Handover:
    """An order loaded by ``routes[0]`` at ``loads[0]``, then by each next route at the
    breakdown site of the one before, which broke down at ``down[k]``; the last one
    carries it on (or broke down with it too)."""

    routes: tuple[Route, ...]
    loads: tuple[Stop, ...]
    down: tuple[float, ...]  # when each route but the last broke down

    @property
    def holder(self) -> Route:
        return self.routes[-1]

    def upto(self, vehicle: str) -> Handover | None:
        """The handovers until ``vehicle`` had it; None when it was the first to load it."""
        k = next((i for i, r in enumerate(self.routes) if r.vehicle == vehicle), 0)
        if k == 0:
            return None
        return Handover(self.routes[: k + 1], self.loads[: k + 1], self.down[:k])

    def then(self, route: Route, load: Stop, down_at: float) -> Handover:
        """Handed over once more: the holder broke down at ``down_at``, ``route`` loads it."""
        return Handover((*self.routes, route), (*self.loads, load), (*self.down, down_at))


def handovers(routes: list[Route], down: dict[str, float]) -> dict[str, Handover]:
    """Per order of ``routes`` handed over from a downed truck (``down``: vehicle → when)."""
    loads: dict[str, list[tuple[Route, Stop]]] = {}
    for route in routes:
        for stop in route.stops:
            for oid in stop.load:
                loads.setdefault(oid, []).append((route, stop))
    out = {}
    for oid, found in loads.items():
        if len(found) < 2:
            continue
        at = {stop.site: (route, stop) for route, stop in found}
        chain = [next(((r, s) for r, s in found if not s.site.startswith("down:")), found[0])]
        while chain[-1][0].vehicle in down and down_site(chain[-1][0].vehicle) in at:
            chain.append(at[down_site(chain[-1][0].vehicle)])
        if len(chain) == len(found):
            out[oid] = Handover(
                tuple(r for r, _ in chain),
                tuple(s for _, s in chain),
                tuple(down[r.vehicle] for r, _ in chain[:-1]),
            )
    return out


def handover_minutes(h: Handover, oid: str, day: Batch, until: float) -> float:
    """Reference minutes of shelf life ``oid`` used by ``until``: waiting to be loaded,
    on each truck to its breakdown and at each breakdown site, then on the holder."""
    order = day.orders_by_id[oid]
    product = day.products_by_id[order.product]
    first = day.fleet_by_id[h.routes[0].vehicle_type]
    used = used_minutes(order, day, first, h.loads[0].departure, h.down[0])
    for k in range(1, len(h.routes)):
        load = h.loads[k]
        site = day.sites_by_id.get(load.site)
        ambient = storage_temp(site, day) if site is not None else day.options.ambient_temp_c
        used += decay_rate(product, ambient) * max(0.0, load.departure - h.down[k - 1])
        truck = day.fleet_by_id[h.routes[k].vehicle_type]
        end = h.down[k] if k < len(h.down) else until
        used += decay_rate(product, vehicle_temp(truck, day)) * max(0.0, end - load.departure)
    return used
