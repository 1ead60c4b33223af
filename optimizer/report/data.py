"""What the reports show, computed once from a batch and a plan.

The map, the run sheets (HTML, XLSX, CSV) and the timeline all read these rows, so the
numbers a driver sees on paper are the ones the coordinator sees on the map.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from optimizer.freshness import (
    decay_rate,
    freshness_budget_min,
    storage_temp,
    vehicle_temp,
)
from optimizer.i18n import CATEGORY_ZH, normalize_lang, t
from optimizer.model import Batch, Order, Product, Site, VehicleType, format_clock
from optimizer.plan import OrderOutcome, Plan, Rest, Route
from optimizer.reasons import outcome_text
from optimizer.replan.handover import handover_minutes, handovers

# Route colours by vehicle: distinct, dark enough for white arrowheads, colour-blind aware
# first (Okabe-Ito and Tableau), then more.
PALETTE: tuple[str, ...] = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#8C564B",
    "#7F3C8D",
    "#11A579",
    "#3969AC",
    "#E73F74",
    "#80BA5A",
    "#F2B701",
    "#008695",
    "#4B4B8F",
    "#A5AA99",
)


def route_color(index: int) -> str:
    """The colour of the ``index``-th route (cycles through ``PALETTE``)."""
    return PALETTE[index % len(PALETTE)]


def product_label(product: Product, lang: str) -> str:
    """A product's name for people: its own name, or the Chinese catalogue name in zh-CN."""
    if normalize_lang(lang) == "zh-CN":
        own = product.name or product.id
        if own.isascii() and product.category in CATEGORY_ZH:
            return CATEGORY_ZH[product.category]
        return own
    return product.name or product.id


def site_label(site: Site) -> str:
    """``name (id)``, or the id alone when the site has no name."""
    return f"{site.name} ({site.id})" if site.name else site.id


def clock(minutes: float | None, lang: str) -> str:
    """HH:MM for today; later days as ``+1d HH:MM`` / ``+1天 HH:MM``; empty for None."""
    if minutes is None:
        return ""
    total = round(minutes)
    days, rest = divmod(total, 1440)
    if days <= 0:
        return format_clock(rest if total >= 0 else total)
    unit = "天" if normalize_lang(lang) == "zh-CN" else "d"
    return f"+{days}{unit} {format_clock(rest)}"


def rest_text(rest: Rest, lang: str) -> str:
    """``休息 10:35-10:55（20 分钟），在本站，作业前``: a driver's break as he reads it."""
    return t(
        "rs.rest",
        lang,
        kind=t(f"rest.kind.{rest.kind}", lang),
        start=format_clock(rest.start),
        end=format_clock(rest.end),
        minutes=round(rest.end - rest.start),
        place=t(f"rest.place.{rest.place}", lang),
    )


def compartment_c(vehicle: VehicleType, batch: Batch) -> float:
    """Compartment temperature in °C: the set point of a reefer, else ambient."""
    return vehicle_temp(vehicle, batch)


def compartment_text(vehicle: VehicleType, batch: Batch, lang: str) -> str:
    """``冷藏，2 °C`` / ``not refrigerated (ambient 25 °C)``."""
    key = "rs.compartment_value_reefer" if vehicle.refrigerated else "rs.compartment_value_ambient"
    return t(key, lang, temp=compartment_c(vehicle, batch))


def freshness_deadline(
    order: Order,
    batch: Batch,
    vehicle: VehicleType,
    load_departure: float,
    used: float | None = None,
) -> float | None:
    """Latest arrival (start of unloading) that still keeps the order's ``min_freshness``.

    Shelf life used by arrival ``a`` is ``wait + rate × (a − load_departure)``, where
    ``wait`` is the time from ``ready`` to ``load_departure`` at the station's storage
    temperature (pickups only) and ``rate`` the decay rate at the compartment temperature
    (``optimizer.freshness.used_minutes``). Setting it equal to the budget gives ``a``.
    ``used``: the reference minutes already used at ``load_departure`` when known
    otherwise (goods handed over after a breakdown). None for goods that are not
    perishable.
    """
    budget = freshness_budget_min(order, batch)
    if budget is None:
        return None
    product = batch.products_by_id[order.product]
    wait = 0.0
    if used is not None:
        wait = used
    elif (waits_at := order.waits_at()) is not None:
        ready = order.ready if order.ready is not None else load_departure
        station = batch.sites_by_id[waits_at]
        wait = decay_rate(product, storage_temp(station, batch)) * max(0.0, load_departure - ready)
    rate = decay_rate(product, vehicle_temp(vehicle, batch))
    return load_departure + (budget - wait) / rate


@dataclass(frozen=True)
class Action:
    """One order loaded or unloaded at a stop."""

    action: str  # "load" | "unload"
    order: Order
    product: Product
    deadline: float | None = None  # on loads: latest arrival that keeps min_freshness
    remaining_share: float | None = None  # on unloads: shelf life left on arrival
    remaining_h: float | None = None


@dataclass(frozen=True)
class StopRow:
    """One stop of a run sheet, with what happens there."""

    seq: int  # 1-based stop number
    site: Site
    arrival: float
    start: float
    departure: float
    kg_on_board: float
    m3_on_board: float
    km_from_previous: float
    actions: list[Action] = field(default_factory=list)
    rests: list[Rest] = field(default_factory=list)  # at this stop and on the leg after it

    @property
    def wait_min(self) -> float:
        return max(0.0, self.start - self.arrival)


@dataclass(frozen=True)
class RunSheet:
    """One vehicle's day: its route, stop by stop."""

    route: Route
    vehicle_type: VehicleType
    color: str
    compartment_c: float
    stops: list[StopRow]

    @property
    def vehicle(self) -> str:
        return self.route.vehicle


def build_runsheets(batch: Batch, plan: Plan) -> list[RunSheet]:
    """A run sheet per route of the plan, in plan order."""
    outcomes = {o.order: o for o in plan.orders}
    handed = handovers(plan.routes, plan.down)  # goods picked up after a breakdown
    sheets = []
    for index, route in enumerate(plan.routes):
        vt = batch.fleet_by_id[route.vehicle_type]
        rows = []
        for seq, stop in enumerate(route.stops, start=1):
            actions = [_unload(oid, batch, outcomes) for oid in stop.unload]
            for oid in stop.load:
                h = handed[oid].upto(route.vehicle) if oid in handed else None
                used = handover_minutes(h, oid, batch, stop.departure) if h else None
                actions.append(_load(oid, batch, vt, stop.departure, used))
            rows.append(
                StopRow(
                    seq=seq,
                    site=batch.sites_by_id[stop.site],
                    arrival=stop.arrival,
                    start=stop.start,
                    departure=stop.departure,
                    kg_on_board=stop.kg_on_board,
                    m3_on_board=stop.m3_on_board,
                    km_from_previous=stop.km_from_previous,
                    actions=actions,
                    rests=[r for r in route.rests if r.stop == seq - 1],
                )
            )
        sheets.append(
            RunSheet(
                route=route,
                vehicle_type=vt,
                color=route_color(index),
                compartment_c=compartment_c(vt, batch),
                stops=rows,
            )
        )
    return sheets


def _load(
    order_id: str, batch: Batch, vt: VehicleType, departure: float, used: float | None = None
) -> Action:
    order = batch.orders_by_id[order_id]
    return Action(
        action="load",
        order=order,
        product=batch.products_by_id[order.product],
        deadline=freshness_deadline(order, batch, vt, departure, used),
    )


def _unload(order_id: str, batch: Batch, outcomes: dict[str, OrderOutcome]) -> Action:
    order = batch.orders_by_id[order_id]
    outcome = outcomes.get(order_id)
    return Action(
        action="unload",
        order=order,
        product=batch.products_by_id[order.product],
        remaining_share=outcome.remaining_share if outcome else None,
        remaining_h=outcome.remaining_h if outcome else None,
    )


def unserved(batch: Batch, plan: Plan, lang: str = "en") -> list[tuple[Order, str]]:
    """Orders the plan leaves out, with the reason in ``lang``."""
    return [
        (batch.orders_by_id[o.order], outcome_text(o, lang))
        for o in plan.orders
        if not o.served and o.order in batch.orders_by_id
    ]
