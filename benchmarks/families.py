"""A second, independent family of county days for measuring the portfolio.

``scenarios/generate.py`` is what freshroute was tuned on; this module shares no code or
constants with it. Its counties are clustered townships on a flat plane (km), with a
hub near the middle and stations scattered around township seats. Travel is an explicit
``matrix``: road km = straight-line km × a circuity that is higher for short hops, and
minutes = an access time + road km at a fixed speed (both keep the triangle inequality).

A *family* fixes one value on each axis:

- ``cost``: ``km-fixed`` (per-km and per-truck costs only), ``time`` (driver hours
  dominate), ``fuel-wage`` (load-dependent fuel, wages paid from a fixed departure: the
  hub loads parcels only during the first minutes of the shift);
- ``fleet``: ``one-type`` (light reefers only) or ``mixed`` (reefers and ambient vans;
  chilled produce rides only in a reefer);
- ``shelf``: ``no-shelf`` (nothing perishable), ``loose-shelf`` (catalogue shelf lives,
  early harvest) or ``tight-shelf`` (short shelf lives, harvests through the day: a pickup
  must be loaded within about an hour of its ready time);
- ``visits``: ``multi-visit`` or ``single-visit`` (every station served in one stop; the
  model then needs single-trip trucks from the hub to the centre, no produce deadlines and
  a centre open all shift, so single-visit families have no shelf life);
- ``centre``: ``centre-at-hub`` (the collection centre stands at the hub) or
  ``centre-apart`` (at a township seat about half the county radius away).

``family_batch(family, stops, seed)`` builds a ``Batch`` with ``stops`` stations; most
stations get a parcel delivery *and* a produce pickup. Every order can be served by a
truck of its own (windows, ready times and shelf lives are set from the travel times) and
the fleet is sized with slack, so every batch passes the pre-solve check.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass

import numpy as np

from optimizer.model import Batch

# -- families ---------------------------------------------------------------------------

COSTS = ("km-fixed", "time", "fuel-wage")
FLEETS = ("one-type", "mixed")
SHELVES = ("no-shelf", "loose-shelf", "tight-shelf")
VISITS = ("multi-visit", "single-visit")
CENTRES = ("centre-at-hub", "centre-apart")
SIZES = (60, 150, 300, 1000)


@dataclass(frozen=True)
class Family:
    cost: str
    fleet: str
    shelf: str
    visits: str
    centre: str
    note: str = ""

    @property
    def name(self) -> str:
        return "/".join((self.cost, self.fleet, self.shelf, self.visits, self.centre))


_FAMILY_LIST = [
    Family(
        "km-fixed",
        "one-type",
        "no-shelf",
        "multi-visit",
        "centre-at-hub",
        "plain CVRP-like day: reefers reload at the hub, cost = km + trucks",
    ),
    Family(
        "km-fixed",
        "mixed",
        "tight-shelf",
        "multi-visit",
        "centre-apart",
        "short shelf lives, harvests until early afternoon, vans for parcels",
    ),
    Family(
        "time",
        "one-type",
        "loose-shelf",
        "multi-visit",
        "centre-apart",
        "driver hours dominate; catalogue shelf lives",
    ),
    Family(
        "time",
        "mixed",
        "no-shelf",
        "single-visit",
        "centre-at-hub",
        "one stop per station, single-trip trucks, hours dominate",
    ),
    Family(
        "fuel-wage",
        "mixed",
        "loose-shelf",
        "multi-visit",
        "centre-at-hub",
        "fuel by load, wages from a fixed departure (hub loads only at shift start)",
    ),
    Family(
        "fuel-wage",
        "one-type",
        "tight-shelf",
        "multi-visit",
        "centre-apart",
        "trucks leave loaded at the start and wait (paid) for tight harvests",
    ),
    Family(
        "km-fixed",
        "mixed",
        "no-shelf",
        "single-visit",
        "centre-apart",
        "one stop per station, hub to a distant centre",
    ),
    Family(
        "fuel-wage",
        "one-type",
        "no-shelf",
        "single-visit",
        "centre-apart",
        "one stop per station, fuel by load, fixed departure",
    ),
]
FAMILIES: dict[str, Family] = {f.name: f for f in _FAMILY_LIST}


def resolve(names: list[str]) -> list[str]:
    """Family names from the command line: ``all``, full names, 1-based indexes or a
    substring that matches exactly one family."""
    if names == ["all"]:
        return list(FAMILIES)
    out = []
    for n in names:
        if n in FAMILIES:
            out.append(n)
        elif n.isdigit() and 1 <= int(n) <= len(_FAMILY_LIST):
            out.append(_FAMILY_LIST[int(n) - 1].name)
        else:
            hits = [f for f in FAMILIES if n in f]
            if len(hits) != 1:
                raise ValueError(f"family '{n}' matches {len(hits)} families: {hits}")
            out.append(hits[0])
    return out


# -- constants of this generator (its own choices; domain.md ranges where noted) ---------

BASE_LON, BASE_LAT = 116.4, 36.2  # a made-up plain in north China
KM_PER_DEG_LAT = 110.6
KM2_PER_STATION = 7.5  # plains: 5-20 km² per village (domain.md §1.3)
STATIONS_PER_TOWNSHIP = 17
CIRCUITY_LONG, CIRCUITY_SHORT_EXTRA, CIRCUITY_DECAY_KM = 1.27, 0.28, 2.5
SPEED_KMH, ACCESS_MIN = 44.0, 4.5

SHIFT_START, SHIFT_END, MAX_DURATION = 6 * 60.0, 18 * 60.0 + 30, 690.0
STATION_OPEN, STATION_CLOSE = 5 * 60.0 + 30, 19 * 60.0 + 30
NARROW_WINDOWS = ((7 * 60.0 + 30, 12 * 60.0), (12 * 60.0 + 30, 17 * 60.0 + 30))
CENTRE_OPEN, CENTRE_CLOSE, CENTRE_CUTOFF = 5 * 60.0, 21 * 60.0, 17 * 60.0 + 45
HUB_EARLY_CLOSE = 25.0  # fuel-wage: parcels load during the first 25 min of the shift

REEFER = {"capacity_kg": 1500.0, "capacity_m3": 13.0}
VAN = {"capacity_kg": 1000.0, "capacity_m3": 8.0}
VEHICLE_COSTS = {  # (reefer, van)
    "km-fixed": (
        {"cost_per_km": 3.0, "cost_per_hour": 0.0, "fixed_cost": 300.0},
        {"cost_per_km": 2.2, "cost_per_hour": 0.0, "fixed_cost": 200.0},
    ),
    "time": (
        {"cost_per_km": 0.5, "cost_per_hour": 110.0, "fixed_cost": 120.0},
        {"cost_per_km": 0.4, "cost_per_hour": 90.0, "fixed_cost": 100.0},
    ),
    "fuel-wage": (
        {
            "cost_per_km": 0.9,
            "cost_per_hour": 40.0,
            "fixed_cost": 260.0,
            "fuel_l_per_km_empty": 0.125,
            "fuel_l_per_km_full": 0.15,
        },
        {
            "cost_per_km": 0.7,
            "cost_per_hour": 40.0,
            "fixed_cost": 180.0,
            "fuel_l_per_km_empty": 0.08,
            "fuel_l_per_km_full": 0.102,
        },
    ),
}
FUEL_PRICE = 7.8

# Products per shelf axis: id -> product fields. "cold" products need a reefer.
PARCELS = {"id": "parcels", "category": "parcels"}
PRODUCE = {
    "no-shelf": [
        {
            "id": "grain",
            "category": "grain",
            "temperature_class": "ambient",
            "ref_temp_c": 20,
            "q10": 1,
            "perishable": False,
        },
        {"id": "greens", "category": "leafy_greens", "perishable": False},
        {"id": "tubers", "category": "potato", "perishable": False},
    ],
    "loose-shelf": [
        {"id": "greens", "category": "leafy_greens"},
        {"id": "mushroom", "category": "mushroom"},
        {"id": "tomato", "category": "tomato"},
        {"id": "apple", "category": "apple"},
    ],
    "tight-shelf": [
        {
            "id": "berries",
            "category": "berries",
            "temperature_class": "chilled",
            "shelf_life_h": 30,
            "ref_temp_c": 0,
            "q10": 3,
        },
        {
            "id": "baby-greens",
            "category": "baby_greens",
            "temperature_class": "chilled",
            "shelf_life_h": 42,
            "ref_temp_c": 0,
            "q10": 3,
        },
        {"id": "tomato", "category": "tomato"},
    ],
}
PRODUCE_WEIGHTS = {
    "no-shelf": (0.4, 0.35, 0.25),
    "loose-shelf": (0.35, 0.2, 0.3, 0.15),
    "tight-shelf": (0.4, 0.35, 0.25),
}
GROCERIES = {  # chilled deliveries in mixed-fleet families
    "no-shelf": {"id": "groceries", "category": "milk", "perishable": False},
    "loose-shelf": {"id": "groceries", "category": "milk"},
    "tight-shelf": {"id": "groceries", "category": "milk"},
}
AMBIENT_C = 25.0
REEFER_C = 2.0
COLD_CLASSES = ("chilled", "frozen")


# -- geometry ---------------------------------------------------------------------------


def _rng(family: str, stops: int, seed: int) -> np.random.Generator:
    return np.random.default_rng([zlib.crc32(family.encode()), stops, seed])


def _disk_point(rng: np.random.Generator, radius: float) -> np.ndarray:
    r = radius * math.sqrt(rng.random())
    a = 2 * math.pi * rng.random()
    return np.array([r * math.cos(a), r * math.sin(a)])


def county_geometry(
    rng: np.random.Generator, stops: int, centre_apart: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(hub xy, centre xy, station xy (stops × 2), township seats) in km."""
    radius = math.sqrt(stops * KM2_PER_STATION / math.pi)
    towns = max(3, round(stops / STATIONS_PER_TOWNSHIP))
    spacing = 0.9 * radius / math.sqrt(towns)
    seats: list[np.ndarray] = []
    tries = 0
    while len(seats) < towns:
        p = _disk_point(rng, 0.85 * radius)
        tries += 1
        if tries > 200 * towns or all(np.hypot(*(p - q)) >= spacing for q in seats):
            seats.append(p)
    seat_xy = np.array(seats)
    hub = rng.normal(0.0, 0.06 * radius, size=2)
    weights = rng.dirichlet(np.full(towns, 2.5))
    town_of = rng.choice(towns, size=stops, p=weights)
    spread = 0.5 * spacing
    offsets = np.abs(rng.normal(0.0, spread, size=stops))
    angles = rng.uniform(0.0, 2 * math.pi, size=stops)
    xy = seat_xy[town_of] + np.column_stack([offsets * np.cos(angles), offsets * np.sin(angles)])
    # keep stations inside the county
    r = np.hypot(xy[:, 0], xy[:, 1])
    scale = np.where(r > 1.05 * radius, 1.05 * radius / np.maximum(r, 1e-9), 1.0)
    xy = xy * scale[:, None]
    if centre_apart:
        d = np.hypot(*(seat_xy - hub).T)
        centre = seat_xy[int(np.argmin(np.abs(d - 0.5 * radius)))].copy()
    else:
        centre = hub.copy()
    return hub, centre, xy, seat_xy


def road_km(straight: np.ndarray) -> np.ndarray:
    """Road km from straight-line km: circuity falls from 1.55 to 1.27 with distance."""
    return straight * (CIRCUITY_LONG + CIRCUITY_SHORT_EXTRA * np.exp(-straight / CIRCUITY_DECAY_KM))


def travel_matrix(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(km, minutes) between all points; points at the same place are 0 apart."""
    diff = xy[:, None, :] - xy[None, :, :]
    straight = np.hypot(diff[..., 0], diff[..., 1])
    km = road_km(straight)
    minutes = np.where(straight > 1e-9, ACCESS_MIN + km / SPEED_KMH * 60.0, 0.0)
    return np.round(km, 3), np.round(minutes, 2)


def _lon_lat(xy: np.ndarray) -> list[tuple[float, float]]:
    km_per_deg_lon = KM_PER_DEG_LAT * math.cos(math.radians(BASE_LAT))
    return [
        (round(BASE_LON + x / km_per_deg_lon, 6), round(BASE_LAT + y / KM_PER_DEG_LAT, 6))
        for x, y in xy
    ]


# -- demand and timing ------------------------------------------------------------------


def _product_rate(product: dict, temp_c: float) -> float:
    """Reference minutes used per minute at temp_c (Q10), for the generator's own checks."""
    from optimizer.model import PRODUCT_CATALOGUE

    entry = PRODUCT_CATALOGUE.get(product["category"])
    q10 = product.get("q10", entry.q10 if entry else 1.0)
    ref = product.get("ref_temp_c", entry.ref_temp_c if entry else 20.0)
    return float(q10 ** ((temp_c - ref) / 10.0))


def _shelf_min(product: dict) -> float | None:
    from optimizer.model import PRODUCT_CATALOGUE

    if product.get("perishable", True) is False:
        return None
    if "shelf_life_h" in product:
        return float(product["shelf_life_h"]) * 60.0
    entry = PRODUCT_CATALOGUE.get(product["category"])
    return None if entry is None or entry.shelf_life_h is None else entry.shelf_life_h * 60.0


def _is_cold(product: dict) -> bool:
    from optimizer.model import PRODUCT_CATALOGUE

    cls = product.get("temperature_class")
    if cls is None:
        entry = PRODUCT_CATALOGUE.get(product["category"])
        cls = entry.temperature_class if entry else "ambient"
    return cls in COLD_CLASSES


def _fleet_size(
    rng: np.random.Generator,
    kg_down: float,
    kg_up: float,
    m3: float,
    stations: int,
    stop_min: float,
    radial_min: float,
    capacity: dict[str, float],
    one_load: str,
    tight: bool,
) -> int:
    """Trucks for a share of the work, with slack: by load (one load per truck when it
    cannot reload) and by working time."""
    cap_kg, cap_m3 = capacity["capacity_kg"], capacity["capacity_m3"]
    loads = max(kg_down, kg_up) / (0.7 * cap_kg)
    loads = max(loads, m3 / (0.7 * cap_m3))
    work = stations * stop_min + math.ceil(loads) * (2 * radial_min + 20.0)
    by_time = work / (0.7 * (SHIFT_END - SHIFT_START))
    need = max(by_time, loads / 3.0)
    if one_load == "all":  # single trip: one load down and one load up per truck
        need = max(need, loads)
    elif one_load == "down":  # parcels load only at shift start
        need = max(need, kg_down / (0.7 * cap_kg))
    slack = 1.6 if tight else 1.35
    return math.ceil(need * slack) + 2 + int(rng.integers(0, 2))


def family_batch(family: str, stops: int, seed: int) -> Batch:
    """One day of ``family`` with ``stops`` stations; the same for the same seed."""
    fam = FAMILIES[resolve([family])[0]]
    rng = _rng(fam.name, stops, seed)
    single = fam.visits == "single-visit"
    mixed = fam.fleet == "mixed"
    shelf = fam.shelf
    early_hub = fam.cost == "fuel-wage"

    hub_xy, centre_xy, st_xy, _ = county_geometry(rng, stops, fam.centre == "centre-apart")
    points = np.vstack([hub_xy, centre_xy, st_xy])
    km, minutes = travel_matrix(points)
    lonlat = _lon_lat(points)
    ids = ["HUB", "CC"] + [f"S{i + 1:04d}" for i in range(stops)]
    hub_min, centre_min = minutes[0], minutes[1]

    # sites
    hub_windows = (
        [{"start": SHIFT_START, "end": SHIFT_START + HUB_EARLY_CLOSE}] if early_hub else []
    )
    centre_site: dict = {
        "id": "CC",
        "kind": "collection_centre",
        "name": "collection centre",
        "lon": lonlat[1][0],
        "lat": lonlat[1][1],
        "service_min": 15.0,
        "storage_temp_c": 4.0,
    }
    if not single:
        centre_site["time_windows"] = [{"start": CENTRE_OPEN, "end": CENTRE_CLOSE}]
        if fam.centre == "centre-apart":
            centre_site["cutoff"] = CENTRE_CUTOFF
    sites: list[dict] = [
        {
            "id": "HUB",
            "kind": "hub",
            "name": "county hub",
            "lon": lonlat[0][0],
            "lat": lonlat[0][1],
            "service_min": 12.0,
            "time_windows": hub_windows,
        },
        centre_site,
    ]
    windows: list[tuple[float, float]] = []
    cold_room = np.zeros(stops, dtype=bool)
    for i in range(stops):
        narrow = (not single) and rng.random() < 0.2
        w = NARROW_WINDOWS[int(rng.integers(2))] if narrow else (STATION_OPEN, STATION_CLOSE)
        windows.append(w)
        cold_room[i] = shelf == "tight-shelf" and rng.random() < 0.2
        site = {
            "id": ids[i + 2],
            "kind": "station",
            "lon": lonlat[i + 2][0],
            "lat": lonlat[i + 2][1],
            "service_min": float(np.round(rng.uniform(3.0, 9.0) * 2) / 2),
            "time_windows": [{"start": w[0], "end": w[1]}],
        }
        if cold_room[i]:
            site["storage_temp_c"] = 6.0
        if single:
            site["single_visit"] = True
        sites.append(site)

    # products
    produce = PRODUCE[shelf]
    products = [PARCELS, *produce] + ([GROCERIES[shelf]] if mixed else [])
    prod_by_id = {p["id"]: p for p in products}
    weights = np.array(PRODUCE_WEIGHTS[shelf])

    # orders: ~70 % of stations both ways, the rest one way; chilled groceries at a fifth
    orders: list[dict] = []
    kg_cold = kg_warm_down = kg_warm_up = kg_cold_down = m3_total = 0.0
    for i in range(stops):
        sid = ids[i + 2]
        node = i + 2
        w_start, w_end = windows[i]
        u = rng.random()
        has_delivery, has_pickup = u < 0.85, u >= 0.15
        service = sites[node]["service_min"]
        if has_delivery:
            kg = float(np.clip(rng.lognormal(math.log(55.0), 0.6), 5.0, 350.0))
            m3 = kg / rng.uniform(120.0, 180.0)
            orders.append(
                {
                    "id": f"D-{sid}",
                    "kind": "delivery",
                    "site": sid,
                    "product": "parcels",
                    "kg": round(kg, 1),
                    "m3": round(m3, 3),
                }
            )
            kg_warm_down += kg
            m3_total += m3
            if mixed and rng.random() < 0.2:
                kg = float(np.clip(rng.lognormal(math.log(25.0), 0.5), 3.0, 150.0))
                orders.append(
                    {
                        "id": f"G-{sid}",
                        "kind": "delivery",
                        "site": sid,
                        "product": "groceries",
                        "kg": round(kg, 1),
                        "m3": round(kg / 200.0, 3),
                    }
                )
                kg_cold_down += kg
        if has_pickup:
            pid = produce[int(rng.choice(len(produce), p=weights))]["id"]
            product = prod_by_id[pid]
            kg = float(np.clip(rng.lognormal(math.log(150.0), 0.7), 15.0, 700.0))
            m3 = kg / rng.uniform(220.0, 320.0)
            order = {
                "id": f"P-{sid}",
                "kind": "pickup",
                "site": sid,
                "product": pid,
                "kg": round(kg, 1),
                "m3": round(m3, 3),
            }
            # earliest a truck leaving the hub at shift start can load here
            reach = max(SHIFT_START + hub_min[node], w_start)
            ready = _ready_time(rng, shelf, reach, w_start, w_end)
            if ready is not None:
                ready = _servable_ready(
                    ready,
                    product,
                    reach,
                    service,
                    w_end,
                    centre_min[node],
                    6.0 if cold_room[i] else AMBIENT_C,
                )
                order["ready"] = round(ready, 1)
                if shelf == "tight-shelf" and rng.random() < 0.3:
                    order["min_freshness"] = 0.2
            orders.append(order)
            if _is_cold(product) and mixed:
                kg_cold += kg
            else:
                kg_warm_up += kg
            m3_total += m3

    # fleet
    one_load = "all" if single else "down" if early_hub else "none"
    stop_min = 6.0 + float(np.median(np.sort(minutes[2:, 2:], axis=1)[:, 1])) if stops > 1 else 10
    radial = float(np.mean(hub_min[2:])) + (float(km[0, 1]) / SPEED_KMH * 60.0)
    tight = shelf == "tight-shelf"
    reefer_costs, van_costs = VEHICLE_COSTS[fam.cost]
    common = {
        "shift_start": SHIFT_START,
        "shift_end": SHIFT_END,
        "max_duration_min": MAX_DURATION,
        "single_trip": single,
        "start": "HUB",
    }
    if single:
        common["end"] = "CC"
    if mixed:
        cold_share = (kg_cold + kg_cold_down) / max(
            1.0, kg_cold + kg_cold_down + kg_warm_up + kg_warm_down
        )
        n_reefer = _fleet_size(
            rng,
            kg_cold_down + 0.5 * kg_warm_down,
            kg_cold,
            m3_total * cold_share,
            round(stops * max(cold_share, 0.3)),
            stop_min,
            radial,
            REEFER,
            one_load,
            tight,
        )
        n_van = _fleet_size(
            rng,
            kg_warm_down,
            kg_warm_up,
            m3_total * (1 - cold_share),
            round(stops * (1 - cold_share)),
            stop_min,
            radial,
            VAN,
            one_load,
            tight,
        )
        fleet = [
            {
                "id": "reefer",
                "name": "4.2 m reefer",
                "count": n_reefer,
                **REEFER,
                "refrigerated": True,
                "compartment_temp_c": REEFER_C,
                **reefer_costs,
                **common,
            },
            {"id": "van", "name": "ambient van", "count": n_van, **VAN, **van_costs, **common},
        ]
    else:
        n = _fleet_size(
            rng,
            kg_warm_down + kg_cold_down,
            kg_warm_up + kg_cold,
            m3_total,
            stops,
            stop_min,
            radial,
            REEFER,
            one_load,
            tight,
        )
        fleet = [
            {
                "id": "reefer",
                "name": "4.2 m reefer",
                "count": n,
                **REEFER,
                "refrigerated": True,
                "compartment_temp_c": REEFER_C,
                **reefer_costs,
                **common,
            }
        ]

    data = {
        "schema": "freshroute.batch/v1",
        "name": f"family {fam.name} stops={stops} seed={seed}",
        "sites": sites,
        "products": products,
        "orders": orders,
        "fleet": fleet,
        "travel": {
            "mode": "matrix",
            "site_ids": ids,
            "km": km.tolist(),
            "minutes": minutes.tolist(),
        },
        "options": {
            "seed": seed,
            "ambient_temp_c": AMBIENT_C,
            "baseline": False,
            "fuel_price_cny_per_l": FUEL_PRICE,
        },
    }
    return Batch.model_validate(data)


def _ready_time(
    rng: np.random.Generator, shelf: str, reach: float, w_start: float, w_end: float
) -> float | None:
    """A harvest time: none for a third of no-shelf pickups, early morning for loose shelf
    lives, through the morning and early afternoon for tight ones."""
    if shelf == "no-shelf":
        return None if rng.random() < 0.35 else float(rng.uniform(4.5 * 60, 10 * 60))
    if shelf == "loose-shelf":
        return float(rng.uniform(4.5 * 60, 9.5 * 60))
    lo = max(5.5 * 60, w_start - 30.0)
    hi = min(13.5 * 60, w_end - 20.0)
    return float(rng.uniform(lo, max(lo, hi)))


def _servable_ready(
    ready: float,
    product: dict,
    reach: float,
    service: float,
    w_end: float,
    to_centre_min: float,
    station_c: float,
) -> float:
    """Move a harvest later when even a truck of its own, arriving at ``reach``, would use
    too much shelf life (keeps a 40 % margin), and never past the station's closing."""
    life = _shelf_min(product)
    ready = min(ready, w_end - 10.0)
    if life is None:
        return ready
    budget = 0.8 * life * 0.6  # min_freshness up to 0.2, 40 % margin
    r_s = _product_rate(product, station_c)
    r_v = _product_rate(product, REEFER_C)
    ride = r_v * (to_centre_min + 15.0)
    wait_ok = max(0.0, (budget - ride) / r_s - service)
    if reach - ready > wait_ok:
        ready = reach - wait_ok
    return min(ready, w_end - 10.0)
