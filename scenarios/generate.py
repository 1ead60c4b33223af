"""Synthetic rural counties: sites, products, orders and fleet from domain.md defaults.

``generate_county(villages, seed)`` builds one day's batch for a plain/hill county of
central China: a county hub at the county seat, township seats about 12 km apart,
villages clustered around them about 3 km apart, one to three collection centres at
township seats, a downward parcel delivery to every village and upward produce pickups
from about 30 % of them. The result is deterministic for a given seed (one
``numpy.random.default_rng(seed)``, no global random state).

Every order is checked on its own before it is emitted: a direct trip (hub → station →
hub for a delivery, hub → station → centre → hub for a pickup) by at least one vehicle
type that may carry it must respect shifts, windows, the centre cut-off, capacity and
``min_freshness``. A pickup that fails is harvested later (15-minute steps up to 10:00)
and, failing that, gets a lower ``min_freshness``; no infeasible order is emitted.

The check is deliberately conservative about depots: a vehicle leaves its start site no
earlier than the site's first opening time and returns before its last closing time,
even though an empty vehicle leaving the hub takes no service there. A batch feasible
under this reading is also feasible when depot windows only bind service.

Run ``python -m scenarios.generate`` to regenerate the bundled ``demo-county.json`` and
``county-400.json`` next to this file.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from optimizer.freshness import can_carry, remaining_share, used_minutes
from optimizer.model import (
    Batch,
    HaversineTravel,
    Options,
    Order,
    Product,
    RestRules,
    RoadNetworkTravel,
    Site,
    TimeWindow,
    VehicleType,
)
from optimizer.network import travel_matrices
from optimizer.network.synthetic import synthetic_roads, write_roads

SCENARIO_DIR = Path(__file__).resolve().parent
BUNDLED: dict[str, tuple[int, int, bool]] = {
    # file stem: (villages, seed, with a road network in <stem>.roads.geojson)
    "demo-county": (60, 1, True),
    "county-400": (400, 7, False),
}

# -- geography -------------------------------------------------------------------------
KM_PER_DEG_LAT = 111.32
COUNTY_LON = 115.0  # a plain/hill county of central China (Hubei/Anhui/Jiangxi)
COUNTY_LAT = 30.0
COUNTY_JITTER_DEG = 0.5
VILLAGES_PER_TOWNSHIP = 15  # domain.md §0, §1.1: 15 administrative villages per township
MAX_TOWNSHIPS = 40  # domain.md §1.1: p90 20 rural townships per county; cap for large inputs
TOWNSHIP_SPACING_KM = 12.0  # domain.md §1.2, §1.3: township seats about 11-14 km apart
SEAT_JITTER_SD_KM = 1.5  # assumption: seats are not on a perfect lattice
SEAT_JITTER_MAX_KM = 3.0
AREA_PER_VILLAGE_KM2 = 9.0  # domain.md §0, §1.3: 9 km² per village (Fujian 8.7), ~3 km apart
MIN_VILLAGE_SPACING_KM = 1.5  # domain.md §1.3: Poisson-disk minimum spacing 1.5-2 km
MIN_SEAT_CLEARANCE_KM = 1.0  # assumption: a village station is not on top of a town seat
VILLAGE_JITTER_SD_KM = 0.4  # assumption: villages are not on a lattice
VILLAGE_JITTER_MAX_KM = 0.8  # per axis; an unjittered point stays >= 2 km from neighbours

# -- clock (minutes after midnight) ----------------------------------------------------
HUB_OPEN, HUB_CLOSE = 6 * 60, 20 * 60  # domain.md §4.4: parcels reach the county hub ~06:00
HUB_SERVICE_MIN = 15.0  # assumption: loading a vehicle at the hub
CENTRE_OPEN, CENTRE_CLOSE = 5 * 60, 20 * 60  # domain.md §4.4: farm pick-ups from 05:00
CENTRE_CUTOFF = 16 * 60  # domain.md §4.4: outbound trunk cut-off 15:00-17:00
CENTRE_SERVICE_MIN = 10.0  # assumption: unloading and weighing at the centre
STATION_SERVICE_MIN = 5.0  # domain.md §2.5: median 5 min per stop
STATION_OPEN, STATION_CLOSE = 8 * 60, 18 * 60  # domain.md §4.4: village stations 08:00-18:00
PRODUCER_OPEN = 5 * 60  # domain.md §4.4: farm pick-up window 05:00-10:00
DELIVERY_READY = 6 * 60 + 30  # domain.md §4.4: morning downward wave from 06:30
HARVEST_FIRST, HARVEST_LAST = 5 * 60, 9 * 60  # domain.md §4.4: harvest 04:30-09:00
HARVEST_STEP_MIN = 15
HARVEST_LATEST = 10 * 60  # domain.md §4.4: farm pick-up window ends 10:00
SHIFT_START, SHIFT_END = 5 * 60, 19 * 60  # domain.md §2.5, §4.4: 05:00 pick-ups, 14 h day
MAX_DURATION_MIN = 12 * 60  # domain.md §2.5: 12 h hard maximum

# -- flows -----------------------------------------------------------------------------
PRODUCER_SHARE = 0.30  # domain.md §4.2: 20-40 % of villages are active producers
COLD_ROOM_SHARE = 0.15  # assumption: share of stations (all producer villages) with a cold room
COLD_ROOM_TEMP_C = 4.0  # domain.md §3.1: 0-4 °C storage for most produce
TWO_PRODUCT_SHARE = 0.35  # assumption: producer villages growing two products
PARCELS_MEDIAN = 50  # domain.md §0, §4.1: 50 parcels per village per day (p10 10, p90 200)
PARCEL_KG = 1.5  # domain.md §4.1: assumed median parcel weight
Z90 = 1.2816  # standard-normal 90th percentile
PARCELS_SIGMA = math.log(200 / 10) / (2 * Z90)  # domain.md §4.1: p10 10, p90 200 parcels
DELIVERY_KG_CLIP = (5.0, 600.0)
PARCEL_KG_PER_M3 = 150.0  # assumption: mixed parcels ≈ 150 kg/m³
PICKUP_MEDIAN_KG = 200.0  # domain.md §0, §4.2: 200 kg per collection point per day
PICKUP_SIGMA = math.log(1000 / 80) / (2 * Z90)  # domain.md §0: range 80-1,000+ kg
PICKUP_KG_CLIP = (30.0, 1000.0)
PRODUCE_KG_PER_M3 = 250.0  # assumption: boxed produce ≈ 250 kg/m³
OPTIONAL_DELIVERY_SHARE = 0.10  # assumption: deliveries that may wait a day
OPTIONAL_DELIVERY_PENALTY = 200.0  # assumption: CNY lost if such a delivery is not served
# domain.md §3.3: strawberries, mushrooms and leafy greens must be cooled within 1-2 h
HIGHLY_PERISHABLE = frozenset({"strawberry", "leafy_greens", "mushroom"})
MIN_FRESHNESS_HIGH = 0.9
MIN_FRESHNESS_OTHER = 0.8
MIN_FRESHNESS_STEP = 0.01  # lowered min_freshness is floored to this step

# Produce mix of a central-China county: (catalogue category, display name, weight).
PRODUCE_MIX: tuple[tuple[str, str, float], ...] = (
    ("strawberry", "Strawberry", 0.12),
    ("leafy_greens", "Leafy greens", 0.20),
    ("mushroom", "Mushroom", 0.10),
    ("peach", "Peach", 0.10),
    ("tomato", "Tomato", 0.15),
    ("citrus", "Citrus", 0.13),
    ("eggs", "Eggs", 0.10),
    ("apple", "Apple", 0.10),
)

# -- fleet -----------------------------------------------------------------------------
FLEET_SPECS: tuple[dict, ...] = (
    dict(
        id="reefer",
        name="4.2 m light refrigerated truck",
        capacity_kg=1500.0,  # domain.md §0, §2.1: nominal 1.5 t
        capacity_m3=13.0,  # domain.md §0, §2.1: ~13 m³ box
        refrigerated=True,
        compartment_temp_c=2.0,  # domain.md §2.1: class A 0-12 °C; produce near 0-4 °C
        cost_per_km=3.0,  # domain.md §2.4: 2.5 CNY/km all-in plus refrigeration
        cost_per_hour=50.0,  # domain.md §2.4: driver 35 CNY/h + TRU 15 CNY/h
        fixed_cost=250.0,  # domain.md §0, §2.4: 250 CNY per day used
    ),
    dict(
        id="van",
        name="Ambient light truck / van",
        capacity_kg=1000.0,  # domain.md §2.1: mini truck or van 0.5-1.0 t
        capacity_m3=8.0,  # assumption: dry box of a small light truck
        refrigerated=False,
        cost_per_km=2.0,  # domain.md §2.2, §2.4: dry box uses less fuel than a reefer
        cost_per_hour=35.0,  # domain.md §2.4: driver 35 CNY/h
        fixed_cost=200.0,  # domain.md §2.4: 200 CNY per day used
    ),
)
# Litres per km empty and full (domain.md §0, §2.2: dry light truck 0.08 → 0.102 L/km,
# reefer 0.125-0.15 L/km), for counties that price fuel by the load (``with_fuel_rates``).
FUEL_RATES: dict[str, tuple[float, float]] = {"reefer": (0.125, 0.15), "van": (0.08, 0.102)}
REEFER_MARGIN = 1.6  # fleet sizing margin on total pickup kg
VAN_MARGIN = 1.3  # fleet sizing margin on total delivery kg

# The generator's own feasibility check keeps these margins; the emitted batch is then
# feasible even when a solver rounds times to whole minutes.
TIME_SLACK_MIN = 2.0
FRESHNESS_SLACK = 0.005

# Pinyin syllables for made-up place names.
_SYLLABLE_TEXT = (
    "Li Wang Zhang Liu Chen Yang Huang Zhao Zhou Wu Xu Sun Ma Zhu Hu Guo He Lin Gao Luo Zheng "
    "Liang Xie Song Tang Han Feng Deng Cao Peng Zeng Xiao Tian Dong Pan Yuan Cai Jiang Yu Du "
    "Ye Cheng Wei Su Lu Ding Ren Shen Yao Jin Fu Qian Dai Xia Shi Tan Hou Qin"
)
_SUFFIX_TEXT = "jia zhuang wan gang tang qiao ling dian pu fan ping shan he hu tai yuan ao dun"
_SYLLABLES = tuple(_SYLLABLE_TEXT.split())
_PLACE_SUFFIXES = tuple(_SUFFIX_TEXT.split())


# ======================================================================================
# public API
# ======================================================================================
def default_centres(villages: int) -> int:
    """Collection centres for a county size: 1 below 100 villages, 2 below 300, else 3."""
    if villages < 100:
        return 1
    if villages < 300:
        return 2
    return 3


def generate_county(
    villages: int,
    seed: int,
    *,
    centres: int | None = None,
    name: str | None = None,
    roads: str | Path | None = None,
) -> Batch:
    """A validated synthetic county batch with ``villages`` village stations.

    With ``roads`` (a .geojson/.gpkg path), a synthetic county road network is written
    there and the batch travels on it (``travel: road_network``, path relative to the
    batch file, which should sit in the same folder); otherwise straight-line estimates.
    """
    if villages < 1:
        raise ValueError("villages must be at least 1")
    if seed < 0:
        raise ValueError("seed must be non-negative")
    n_centres = default_centres(villages) if centres is None else centres
    if not 1 <= n_centres <= 3:
        raise ValueError("centres must be 1, 2 or 3")
    rng = np.random.default_rng(seed)

    # -- geography, in local km around the county seat ---------------------------------
    lon0 = COUNTY_LON + rng.uniform(-COUNTY_JITTER_DEG, COUNTY_JITTER_DEG)
    lat0 = COUNTY_LAT + rng.uniform(-COUNTY_JITTER_DEG, COUNTY_JITTER_DEG)
    n_townships = min(max(1, math.ceil(villages / VILLAGES_PER_TOWNSHIP)), MAX_TOWNSHIPS)
    # domain.md §1.2: a township covers its villages' area; grows past the township cap
    spacing = TOWNSHIP_SPACING_KM * math.sqrt(
        max(1.0, villages / (n_townships * VILLAGES_PER_TOWNSHIP))
    )
    seats = _township_seats(rng, n_townships, spacing)
    counts = _split_villages(rng, villages, n_townships)
    village_xy, village_township = _place_villages(rng, seats, counts)
    township_names = _place_names(rng, n_townships, " Town")
    village_names = _place_names(rng, villages, " Village")

    # -- producers, products and cold rooms ----------------------------------------------
    n_producers = min(villages, max(1, round(PRODUCER_SHARE * villages)))
    producers = np.sort(rng.choice(villages, size=n_producers, replace=False))
    n_cold = min(n_producers, round(COLD_ROOM_SHARE * villages))
    cold_rooms = set(rng.choice(producers, size=n_cold, replace=False).tolist())
    weights = np.array([w for _, _, w in PRODUCE_MIX])
    weights = weights / weights.sum()
    grows: dict[int, list[str]] = {}
    for v in producers.tolist():
        k = 2 if rng.random() < TWO_PRODUCT_SHARE else 1
        picks = rng.choice(len(PRODUCE_MIX), size=k, replace=False, p=weights)
        grows[v] = [PRODUCE_MIX[i][0] for i in sorted(picks.tolist())]

    # -- order sizes and times (drawn before any check so the draws stay aligned) --------
    parcels_kg = np.clip(
        PARCEL_KG * PARCELS_MEDIAN * np.exp(PARCELS_SIGMA * rng.standard_normal(villages)),
        *DELIVERY_KG_CLIP,
    )
    optional = rng.random(villages) < OPTIONAL_DELIVERY_SHARE
    pickup_draws: list[tuple[int, str, float, float]] = []
    n_harvest_steps = (HARVEST_LAST - HARVEST_FIRST) // HARVEST_STEP_MIN + 1
    for v in producers.tolist():
        for category in grows[v]:
            kg = float(
                np.clip(
                    PICKUP_MEDIAN_KG * math.exp(PICKUP_SIGMA * rng.standard_normal()),
                    *PICKUP_KG_CLIP,
                )
            )
            ready = HARVEST_FIRST + HARVEST_STEP_MIN * int(rng.integers(n_harvest_steps))
            pickup_draws.append((v, category, kg, float(ready)))

    # -- collection centres: greedy weighted k-median over township seats ----------------
    produce_kg = np.zeros(villages)
    for v, _, kg, _ in pickup_draws:
        produce_kg[v] += kg
    centre_xy, centre_township = _centre_locations(rng, seats, village_xy, produce_kg, n_centres)

    # -- sites -----------------------------------------------------------------------------
    width = max(3, len(str(villages)))
    village_ids = [f"V{i + 1:0{width}d}" for i in range(villages)]
    producer_set = set(grows)

    def lonlat(xy: np.ndarray) -> tuple[float, float]:
        lat = lat0 + xy[1] / KM_PER_DEG_LAT
        lon = lon0 + xy[0] / (KM_PER_DEG_LAT * math.cos(math.radians(lat0)))
        return round(float(lon), 6), round(float(lat), 6)

    hub_lon, hub_lat = lonlat(seats[0])
    sites: list[Site] = [
        Site(
            id="HUB",
            name=f"County hub, {township_names[0].removesuffix(' Town')} county seat",
            kind="hub",
            lon=hub_lon,
            lat=hub_lat,
            service_min=HUB_SERVICE_MIN,
            time_windows=[TimeWindow(start=HUB_OPEN, end=HUB_CLOSE)],
        )
    ]
    centre_ids = [f"CC{i + 1}" for i in range(n_centres)]
    for cid, xy, t in zip(centre_ids, centre_xy, centre_township, strict=True):
        c_lon, c_lat = lonlat(xy)
        label = township_names[t] if t is not None else township_names[0]
        sites.append(
            Site(
                id=cid,
                name=f"Collection centre, {label}",
                kind="collection_centre",
                lon=c_lon,
                lat=c_lat,
                service_min=CENTRE_SERVICE_MIN,
                time_windows=[TimeWindow(start=CENTRE_OPEN, end=CENTRE_CLOSE)],
                cutoff=CENTRE_CUTOFF,
            )
        )
    for i, vid in enumerate(village_ids):
        v_lon, v_lat = lonlat(village_xy[i])
        open_at = PRODUCER_OPEN if i in producer_set else STATION_OPEN
        sites.append(
            Site(
                id=vid,
                name=f"{village_names[i]}, {township_names[int(village_township[i])]}",
                kind="station",
                lon=v_lon,
                lat=v_lat,
                service_min=STATION_SERVICE_MIN,
                time_windows=[TimeWindow(start=open_at, end=STATION_CLOSE)],
                storage_temp_c=COLD_ROOM_TEMP_C if i in cold_rooms else None,
            )
        )

    used_categories = {c for cs in grows.values() for c in cs}
    products = [Product(id="parcels", name="Parcels", category="parcels")] + [
        Product(id=cat, name=label, category=cat)
        for cat, label, _ in PRODUCE_MIX
        if cat in used_categories
    ]

    # -- fleet -----------------------------------------------------------------------------
    delivery_kg = [round(float(kg), 1) for kg in parcels_kg]
    pickup_kg = [round(kg, 1) for _, _, kg, _ in pickup_draws]
    n_reefers = math.ceil(sum(pickup_kg) / FLEET_SPECS[0]["capacity_kg"] * REEFER_MARGIN) + 1
    n_vans = math.ceil(sum(delivery_kg) / FLEET_SPECS[1]["capacity_kg"] * VAN_MARGIN) + 1
    fleet = [
        VehicleType(
            **spec,
            count=count,
            shift_start=SHIFT_START,
            shift_end=SHIFT_END,
            max_duration_min=MAX_DURATION_MIN,
            rest_rules=RestRules(),  # the regulation's 4 h / 20 min (model.RestRules)
            start="HUB",
            end="HUB",
        )
        for spec, count in zip(FLEET_SPECS, (n_reefers, n_vans), strict=True)
    ]

    batch_name = name if name is not None else f"county-{villages}"
    travel: HaversineTravel | RoadNetworkTravel = HaversineTravel()  # domain.md §1.4, §1.5
    if roads is not None:
        # Township seats (the hub's among them) get county roads; villages hang off them.
        seat_points = [lonlat(xy) for xy in seats]
        points = seat_points + [(st.lon, st.lat) for st in sites]
        write_roads(synthetic_roads(points, list(range(len(seat_points))), seed), roads)
        travel = RoadNetworkTravel(mode="road_network", path=Path(roads).name)
    frame = Batch(
        name=batch_name,
        sites=sites,
        products=products,
        orders=[],
        fleet=fleet,
        travel=travel,
        options=Options(time_limit_s=10.0, seed=seed, backhaul="mixed", ambient_temp_c=25.0),
    )
    minutes = TravelMinutes(frame, Path(roads).parent if roads is not None else None)

    # -- orders ----------------------------------------------------------------------------
    orders: list[Order] = []
    for i, vid in enumerate(village_ids):
        kg = delivery_kg[i]
        order = Order(
            id=f"D-{vid}",
            kind="delivery",
            site=vid,
            hub="HUB",
            product="parcels",
            kg=kg,
            m3=round(kg / PARCEL_KG_PER_M3, 3),
            ready=DELIVERY_READY,
            penalty=OPTIONAL_DELIVERY_PENALTY if optional[i] else None,
        )
        if not is_feasible_alone(order, frame, minutes, slack=True):
            raise RuntimeError(f"{order.id} cannot be served by a direct trip")
        orders.append(order)
    for (v, category, _, ready), kg in zip(pickup_draws, pickup_kg, strict=True):
        vid = village_ids[v]
        centre = min(centre_ids, key=lambda c, vid=vid: minutes(vid, c))
        order = Order(
            id=f"P-{vid}-{category}",
            kind="pickup",
            site=vid,
            centre=centre,
            product=category,
            kg=kg,
            m3=round(kg / PRODUCE_KG_PER_M3, 3),
            ready=ready,
            min_freshness=(
                MIN_FRESHNESS_HIGH if category in HIGHLY_PERISHABLE else MIN_FRESHNESS_OTHER
            ),
        )
        orders.append(_make_feasible(order, frame, minutes))

    return Batch(
        name=batch_name,
        sites=sites,
        products=products,
        orders=orders,
        fleet=fleet,
        travel=frame.travel,
        options=frame.options,
    )


def with_fuel_rates(batch: Batch) -> Batch:
    """The batch with load-dependent fuel (``FUEL_RATES``) for the generator's fleet.

    ``cost_per_km`` becomes the non-fuel part: the all-in rate minus empty fuel at the
    batch's diesel price, so an empty truck costs what it did and a loaded one more.
    """
    data = batch.model_dump(by_alias=True)
    price = batch.options.fuel_price_cny_per_l
    for vt in data["fleet"]:
        if vt["id"] in FUEL_RATES:
            empty, full = FUEL_RATES[vt["id"]]
            vt["cost_per_km"] = max(0.0, vt["cost_per_km"] - empty * price)
            vt.update(fuel_l_per_km_empty=empty, fuel_l_per_km_full=full)
    return Batch.model_validate(data)


def batch_json(batch: Batch) -> str:
    """The batch as JSON text: one site, product, order or vehicle type per line."""
    data = batch.model_dump(mode="json", by_alias=True, exclude_none=True)
    lines = ["{"]
    items = list(data.items())
    for i, (key, value) in enumerate(items):
        comma = "," if i < len(items) - 1 else ""
        if isinstance(value, list) and value:
            lines.append(f"  {json.dumps(key)}: [")
            for j, item in enumerate(value):
                item_comma = "," if j < len(value) - 1 else ""
                lines.append(f"    {json.dumps(item, ensure_ascii=False)}{item_comma}")
            lines.append(f"  ]{comma}")
        else:
            lines.append(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def write_batch(batch: Batch, path: str | Path) -> Path:
    """Write the batch as JSON and check that the file loads back to an equal batch."""
    path = Path(path)
    text = batch_json(batch)
    if Batch.model_validate(json.loads(text)) != batch:
        raise ValueError(f"batch '{batch.name}' does not survive a JSON round trip")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def bundled_batch(stem: str, folder: Path = SCENARIO_DIR) -> Batch:
    """The batch behind a bundled scenario file, e.g. ``bundled_batch('demo-county')``.

    Its road network, if it has one, is written to ``folder/<stem>.roads.geojson``.
    """
    villages, seed, with_roads = BUNDLED[stem]
    roads = folder / f"{stem}.roads.geojson" if with_roads else None
    return generate_county(villages, seed=seed, name=stem, roads=roads)


# ======================================================================================
# single-order feasibility (a direct trip by one vehicle)
# ======================================================================================
class TravelMinutes:
    """Travel minutes between site ids, from the same matrices the solver uses."""

    def __init__(self, batch: Batch, base_dir: Path | None = None) -> None:
        travel = travel_matrices(batch, base_dir)
        self.index = travel.index()
        self.matrix = travel.minutes

    def __call__(self, a: str, b: str) -> float:
        return float(self.matrix[self.index[a], self.index[b]])


def _earliest_service(site: Site, t: float, slack: float) -> float | None:
    """Earliest service start at or after ``t`` inside one of the site's windows."""
    if not site.time_windows:
        return t
    for w in site.time_windows:
        start = max(t, w.start)
        if start <= w.end - slack:
            return start
    return None


def _depot_bounds(site: Site, vehicle: VehicleType) -> tuple[float, float]:
    """When a vehicle may leave / must be back at a depot (conservative: site windows bind)."""
    lo, hi = vehicle.shift_start, vehicle.shift_end
    if site.time_windows:
        lo = max(lo, site.time_windows[0].start)
        hi = min(hi, site.time_windows[-1].end)
    return lo, hi


def direct_trip(
    order: Order,
    batch: Batch,
    vehicle: VehicleType,
    minutes: TravelMinutes,
    *,
    slack: bool = False,
) -> float | None:
    """Serve ``order`` alone with ``vehicle``; the share of shelf life left on arrival.

    Returns None when the trip breaks a shift, window, cut-off, duration or capacity
    limit, and ``1.0`` for goods that are not perishable. The freshness limit is not
    applied here (see ``is_feasible_alone``). ``slack`` keeps ``TIME_SLACK_MIN`` before
    every deadline.
    """
    pad = TIME_SLACK_MIN if slack else 0.0
    if order.kg > vehicle.capacity_kg or order.m3 > vehicle.capacity_m3:
        return None
    product = batch.products_by_id[order.product]
    if not can_carry(vehicle, product):
        return None
    sites = batch.sites_by_id
    assert vehicle.start is not None and vehicle.end is not None
    start, end = sites[vehicle.start], sites[vehicle.end]
    leave_lo, _ = _depot_bounds(start, vehicle)
    _, back_hi = _depot_bounds(end, vehicle)
    station = sites[order.site]

    if order.kind == "delivery":
        assert order.hub is not None
        hub = sites[order.hub]
        at_hub = leave_lo + minutes(start.id, hub.id)
        load = _earliest_service(hub, max(at_hub, order.ready or 0.0), pad)
        if load is None:
            return None
        leave_at = load - minutes(start.id, hub.id)
        load_departure = load + hub.service_min
        arrival = _earliest_service(station, load_departure + minutes(hub.id, station.id), pad)
        if arrival is None:
            return None
        done = arrival + station.service_min
        back = done + minutes(station.id, end.id)
    else:
        assert order.centre is not None
        centre = sites[order.centre]
        reach = leave_lo + minutes(start.id, station.id)
        load = _earliest_service(station, max(reach, order.ready or 0.0), pad)
        if load is None:
            return None
        leave_at = max(leave_lo, load - minutes(start.id, station.id))
        load_departure = load + station.service_min
        arrival = _earliest_service(centre, load_departure + minutes(station.id, centre.id), pad)
        if arrival is None:
            return None
        if centre.cutoff is not None and arrival > centre.cutoff - pad:
            return None
        back = arrival + centre.service_min + minutes(centre.id, end.id)
    if back > back_hi - pad or back - leave_at > vehicle.max_duration_min - pad:
        return None
    used = used_minutes(order, batch, vehicle, load_departure, arrival)
    share = remaining_share(order, batch, used)
    return 1.0 if share is None else share


def is_feasible_alone(
    order: Order, batch: Batch, minutes: TravelMinutes | None = None, *, slack: bool = False
) -> bool:
    """Can some vehicle type in the fleet serve this order on a direct trip?"""
    minutes = minutes or TravelMinutes(batch)
    margin = FRESHNESS_SLACK if slack else 0.0
    for vehicle in batch.fleet:
        if vehicle.count < 1:
            continue
        share = direct_trip(order, batch, vehicle, minutes, slack=slack)
        if share is not None and share >= order.min_freshness + margin:
            return True
    return False


def _best_share(order: Order, batch: Batch, minutes: TravelMinutes) -> float | None:
    shares = [direct_trip(order, batch, v, minutes, slack=True) for v in batch.fleet if v.count > 0]
    valid = [s for s in shares if s is not None]
    return max(valid) if valid else None


def _make_feasible(order: Order, batch: Batch, minutes: TravelMinutes) -> Order:
    """Harvest later, then lower ``min_freshness``, until a direct trip serves the pickup."""
    if is_feasible_alone(order, batch, minutes, slack=True):
        return order
    assert order.ready is not None
    ready = order.ready + HARVEST_STEP_MIN
    while ready <= HARVEST_LATEST:
        later = order.model_copy(update={"ready": ready})
        if is_feasible_alone(later, batch, minutes, slack=True):
            return later
        ready += HARVEST_STEP_MIN
    share = _best_share(order, batch, minutes)
    if share is None:
        raise RuntimeError(f"{order.id} cannot reach its centre on a direct trip")
    lowered = math.floor((share - FRESHNESS_SLACK) / MIN_FRESHNESS_STEP) * MIN_FRESHNESS_STEP
    relaxed = order.model_copy(update={"min_freshness": max(0.0, round(lowered, 2))})
    if not is_feasible_alone(relaxed, batch, minutes, slack=True):
        raise RuntimeError(f"{order.id} cannot be made feasible")
    return relaxed


# ======================================================================================
# geography helpers (local km, x east, y north, county seat at the origin)
# ======================================================================================
def _township_seats(rng: np.random.Generator, n: int, s: float) -> np.ndarray:
    """The county seat at the origin and n-1 township seats on a jittered hex lattice."""
    theta = rng.uniform(0.0, math.pi / 3)
    rings = math.ceil(math.sqrt(n)) + 2
    ij = np.array([(i, j) for i in range(-rings, rings + 1) for j in range(-rings, rings + 1)])
    pts = ij[:, :1] * np.array([s, 0.0]) + ij[:, 1:] * np.array([s / 2, s * math.sqrt(3) / 2])
    rot = np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
    pts = pts @ rot.T
    dist = np.round(np.hypot(pts[:, 0], pts[:, 1]), 6)
    order = np.lexsort((rng.random(len(pts)), dist))  # random order within a ring
    seats = pts[order[:n]].copy()
    jitter = np.clip(
        rng.normal(0.0, SEAT_JITTER_SD_KM, size=(n, 2)), -SEAT_JITTER_MAX_KM, SEAT_JITTER_MAX_KM
    )
    jitter[0] = 0.0  # the county seat defines the origin
    return seats + jitter


def _split_villages(rng: np.random.Generator, villages: int, townships: int) -> list[int]:
    base, extra = divmod(villages, townships)
    counts = [base] * townships
    for k in rng.choice(townships, size=extra, replace=False).tolist():
        counts[k] += 1
    return counts


def _place_villages(
    rng: np.random.Generator, seats: np.ndarray, counts: Sequence[int]
) -> tuple[np.ndarray, np.ndarray]:
    """Villages clustered around their township seats, about 3 km apart (domain.md §1.3).

    A hexagonal lattice with one cell per ``AREA_PER_VILLAGE_KM2`` covers the county.
    Townships take turns claiming the free lattice point nearest to their seat, so each
    grows a compact cluster; every village is then jittered off its lattice point,
    rejecting jitters that come closer than ``MIN_VILLAGE_SPACING_KM`` to a placed village.
    """
    spacing = math.sqrt(2 * AREA_PER_VILLAGE_KM2 / math.sqrt(3))
    theta = rng.uniform(0.0, math.pi / 3)
    offset = rng.uniform(0.0, spacing, size=2)
    extent = float(np.abs(seats).max()) + 2 * math.sqrt(max(counts) * AREA_PER_VILLAGE_KM2)
    m = int(extent / spacing) + 2
    ij = np.array([(i, j) for i in range(-m, m + 1) for j in range(-m, m + 1)], dtype=float)
    lattice = ij[:, :1] * np.array([spacing, 0.0]) + ij[:, 1:] * np.array(
        [spacing / 2, spacing * math.sqrt(3) / 2]
    )
    rot = np.array([[math.cos(theta), -math.sin(theta)], [math.sin(theta), math.cos(theta)]])
    lattice = (lattice + offset) @ rot.T
    d_seats = np.hypot(*(lattice[:, None, :] - seats[None, :, :]).transpose(2, 0, 1))
    free = d_seats.min(axis=1) >= MIN_SEAT_CLEARANCE_KM
    order = [np.argsort(d_seats[:, k], kind="stable") for k in range(len(seats))]
    cursor = [0] * len(seats)
    claimed: list[tuple[int, int]] = []  # (lattice index, township)
    remaining = list(counts)
    while any(remaining):
        for k in range(len(seats)):
            if not remaining[k]:
                continue
            while not free[order[k][cursor[k]]]:
                cursor[k] += 1
            idx = int(order[k][cursor[k]])
            free[idx] = False
            claimed.append((idx, k))
            remaining[k] -= 1
    claimed.sort()  # ids follow the lattice, not the claiming turns
    claimed.sort(key=lambda c: c[1])  # ... grouped by township
    placed = np.empty((len(claimed), 2))
    for n, (idx, _) in enumerate(claimed):
        point = lattice[idx]
        for _ in range(20):
            jitter = np.clip(
                rng.normal(0.0, VILLAGE_JITTER_SD_KM, 2),
                -VILLAGE_JITTER_MAX_KM,
                VILLAGE_JITTER_MAX_KM,
            )
            cand = point + jitter
            if np.hypot(*(seats - cand).T).min() < MIN_SEAT_CLEARANCE_KM:
                continue
            if n == 0 or np.hypot(*(placed[:n] - cand).T).min() >= MIN_VILLAGE_SPACING_KM:
                point = cand
                break
        placed[n] = point
    return placed, np.array([k for _, k in claimed], dtype=int)


def _centre_locations(
    rng: np.random.Generator,
    seats: np.ndarray,
    village_xy: np.ndarray,
    produce_kg: np.ndarray,
    n_centres: int,
) -> tuple[list[np.ndarray], list[int | None]]:
    """Greedy weighted k-median of township seats (not the county seat) for the produce."""
    candidates = list(range(1, len(seats)))
    points = [seats[k] for k in candidates]
    owners: list[int | None] = list(candidates)
    while len(points) < n_centres:  # tiny county: a site on a ring around the seat
        angle = rng.uniform(0.0, 2 * math.pi)
        ring = 0.5 * TOWNSHIP_SPACING_KM * np.array([math.cos(angle), math.sin(angle)])
        points.append(seats[0] + ring)
        owners.append(None)
    weights = produce_kg if produce_kg.sum() > 0 else np.ones(len(village_xy))
    dist = np.hypot(*(village_xy[:, None, :] - np.asarray(points)[None, :, :]).transpose(2, 0, 1))
    chosen: list[int] = []
    current = np.full(len(village_xy), np.inf)
    for _ in range(n_centres):
        costs = [
            np.inf if c in chosen else float(weights @ np.minimum(current, dist[:, c]))
            for c in range(len(points))
        ]
        best = int(np.argmin(costs))
        chosen.append(best)
        current = np.minimum(current, dist[:, best])
    return [points[c] for c in chosen], [owners[c] for c in chosen]


def _place_names(rng: np.random.Generator, n: int, suffix: str) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < n:
        first = _SYLLABLES[int(rng.integers(len(_SYLLABLES)))]
        second = _PLACE_SUFFIXES[int(rng.integers(len(_PLACE_SUFFIXES)))]
        name = f"{first}{second}{suffix}"
        if name in seen and len(seen) < len(_SYLLABLES) * len(_PLACE_SUFFIXES):
            continue
        seen.add(name)
        names.append(name)
    return names


# ======================================================================================
# command line
# ======================================================================================
def main(argv: Sequence[str] | None = None) -> None:
    """Regenerate the bundled scenarios, or write one county with ``--villages``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--villages", type=int, help="write one county of this size")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--centres", type=int)
    parser.add_argument("--name")
    parser.add_argument("--out", type=Path, help="output file (default: scenarios/<name>.json)")
    parser.add_argument("--roads", action="store_true", help="also a road network beside it")
    args = parser.parse_args(argv)
    if args.villages is None:
        for stem in BUNDLED:
            path = write_batch(bundled_batch(stem), SCENARIO_DIR / f"{stem}.json")
            print(f"wrote {path}")
        return
    name = args.name or f"county-{args.villages}"
    out = args.out or SCENARIO_DIR / f"{name}.json"
    roads = out.with_suffix(".roads.geojson") if args.roads else None
    batch = generate_county(args.villages, args.seed, centres=args.centres, name=name, roads=roads)
    path = write_batch(batch, out)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
