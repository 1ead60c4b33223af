"""Shelf life under temperature: Q10 temperature-equivalent time (domain.md §3.2).

A minute at T °C uses ``Q10 ** ((T - T_ref) / 10)`` minutes of a product's shelf life
at its reference temperature. Produce waiting at a village station ages at the
station's storage temperature (its cold room, else the batch's ambient temperature);
riding ages at the vehicle's compartment temperature (ambient vehicles at ambient).
A pickup's clock starts at its ready time, a delivery's when it leaves the hub.
"""

from __future__ import annotations

from optimizer.model import Batch, Order, Product, Site, VehicleType

# Compartment temperatures each class tolerates (domain.md §2.1: produce needs class A,
# 0-12 °C; frozen goods need ≤ -15 °C). Cool and ambient goods ride on any vehicle.
CLASS_COMPARTMENT_RANGE_C: dict[str, tuple[float, float]] = {
    "frozen": (-40.0, -15.0),
    "chilled": (-2.0, 8.0),
}


def decay_rate(product: Product, temp_c: float) -> float:
    """Reference-temperature minutes of shelf life used per minute at ``temp_c``."""
    assert product.q10 is not None and product.ref_temp_c is not None
    return float(product.q10 ** ((temp_c - product.ref_temp_c) / 10.0))


def storage_temp(site: Site, batch: Batch) -> float:
    """Where produce waits at a station: its cold room, else ambient."""
    return site.storage_temp_c if site.storage_temp_c is not None else batch.options.ambient_temp_c


def vehicle_temp(vehicle: VehicleType, batch: Batch) -> float:
    """Compartment temperature of a vehicle; ambient vehicles ride at ambient."""
    if vehicle.refrigerated and vehicle.compartment_temp_c is not None:
        return vehicle.compartment_temp_c
    return batch.options.ambient_temp_c


def can_carry(vehicle: VehicleType, product: Product) -> bool:
    """Chilled and frozen goods ride only refrigerated, at a compartment °C they tolerate."""
    bounds = CLASS_COMPARTMENT_RANGE_C.get(product.temperature_class or "ambient")
    if bounds is None:
        return True
    if not vehicle.refrigerated or vehicle.compartment_temp_c is None:
        return False
    return bounds[0] <= vehicle.compartment_temp_c <= bounds[1]


def shelf_life_min(product: Product) -> float | None:
    """Shelf life at the reference temperature in minutes, or None when not perishable."""
    return None if product.shelf_life_h is None else product.shelf_life_h * 60.0


def used_minutes(
    order: Order,
    batch: Batch,
    vehicle: VehicleType,
    load_departure: float,
    arrival: float,
) -> float:
    """Reference-temperature minutes used from the order's clock start to its arrival.

    ``load_departure`` is when the vehicle leaves the site where the order was loaded
    (station for pickups and transfers, hub for deliveries); ``arrival`` is the start of service at
    the destination. For a pickup the time from ``ready`` to ``load_departure`` counts at
    the station's storage temperature.
    """
    product = batch.products_by_id[order.product]
    ride = decay_rate(product, vehicle_temp(vehicle, batch)) * max(0.0, arrival - load_departure)
    waits_at = order.waits_at()
    if waits_at is None:
        return ride
    ready = order.ready if order.ready is not None else load_departure
    station = batch.sites_by_id[waits_at]
    wait = decay_rate(product, storage_temp(station, batch)) * max(0.0, load_departure - ready)
    return wait + ride


def remaining_share(order: Order, batch: Batch, used_min: float) -> float | None:
    """Share of shelf life left after ``used_min`` reference minutes; None when not perishable."""
    life = shelf_life_min(batch.products_by_id[order.product])
    if life is None:
        return None
    return 1.0 - used_min / life


def freshness_budget_min(order: Order, batch: Batch) -> float | None:
    """Reference minutes an order may use before it breaks ``min_freshness``; None: no limit."""
    life = shelf_life_min(batch.products_by_id[order.product])
    if life is None:
        return None
    return (1.0 - order.min_freshness) * life
