"""The synthetic county generator (scenarios/generate.py) and its bundled scenario files."""

from __future__ import annotations

import json
import math
import tempfile
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from optimizer.model import Batch, Order, VehicleType
from optimizer.network import travel_matrices
from scenarios.generate import batch_json, bundled_batch, generate_county, write_batch

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
BUNDLED = {"demo-county": (60, 1), "county-400": (400, 7)}
ROADS_DIR = Path(tempfile.mkdtemp(prefix="freshroute-roads-"))


@cache
def bundled(stem: str) -> Batch:
    """The generator's batch; its road network (if any) goes to ROADS_DIR for comparison."""
    return bundled_batch(stem, ROADS_DIR)


def stations(batch: Batch):
    return [s for s in batch.sites if s.kind == "station"]


# -- determinism and the bundled files ------------------------------------------------
def test_same_seed_same_batch_different_seed_different_batch():
    a = batch_json(generate_county(45, seed=11))
    b = batch_json(generate_county(45, seed=11))
    c = batch_json(generate_county(45, seed=12))
    assert a == b
    assert a != c


def test_generator_leaves_global_random_state_alone():
    np.random.seed(123)
    before = np.random.random()
    np.random.seed(123)
    generate_county(20, seed=5)
    assert np.random.random() == before


@pytest.mark.parametrize("stem", sorted(BUNDLED))
def test_bundled_file_is_what_the_generator_produces(stem: str):
    path = SCENARIOS / f"{stem}.json"
    text = path.read_text(encoding="utf-8")
    batch = bundled(stem)
    assert text == batch_json(batch), f"regenerate with: python -m scenarios.generate ({stem})"
    assert Batch.model_validate(json.loads(text)) == batch
    assert batch.name == stem
    roads = f"{stem}.roads.geojson"
    if (ROADS_DIR / roads).exists():
        committed = (SCENARIOS / roads).read_text(encoding="utf-8")
        assert committed == (ROADS_DIR / roads).read_text(encoding="utf-8")


def test_write_batch_round_trips(tmp_path: Path):
    batch = generate_county(30, seed=2, centres=2, name="round-trip")
    path = write_batch(batch, tmp_path / "sub" / "b.json")
    loaded = Batch.model_validate(json.loads(path.read_text(encoding="utf-8")))
    assert loaded == batch
    assert loaded.name == "round-trip"


def test_values_are_rounded_compactly():
    data = json.loads((SCENARIOS / "demo-county.json").read_text(encoding="utf-8"))
    for s in data["sites"]:
        assert round(s["lon"], 6) == s["lon"] and round(s["lat"], 6) == s["lat"]
    for o in data["orders"]:
        assert round(o["kg"], 1) == o["kg"] and round(o["m3"], 3) == o["m3"]


# -- counts and shapes ----------------------------------------------------------------
@pytest.mark.parametrize("stem", sorted(BUNDLED))
def test_counts(stem: str):
    villages, _ = BUNDLED[stem]
    batch = bundled(stem)
    kinds = [s.kind for s in batch.sites]
    assert kinds.count("hub") == 1
    assert kinds.count("station") == villages
    n_centres = kinds.count("collection_centre")
    assert 1 <= n_centres <= 3
    assert n_centres == (1 if villages < 100 else 2 if villages < 300 else 3)

    deliveries = [o for o in batch.orders if o.kind == "delivery"]
    pickups = [o for o in batch.orders if o.kind == "pickup"]
    assert sorted(o.site for o in deliveries) == sorted(s.id for s in stations(batch))
    assert all(o.id == f"D-{o.site}" and o.product == "parcels" for o in deliveries)
    assert all(o.id == f"P-{o.site}-{o.product}" for o in pickups)
    producers = {o.site for o in pickups}
    assert 0.2 <= len(producers) / villages <= 0.4
    per_village = {v: sum(o.site == v for o in pickups) for v in producers}
    assert set(per_village.values()) <= {1, 2}
    assert all(o.penalty is None for o in pickups)  # all pickups are required
    optional = sum(o.penalty is not None for o in deliveries) / villages
    assert 0.03 <= optional <= 0.2


@pytest.mark.parametrize("stem", sorted(BUNDLED))
def test_sites_windows_and_cold_rooms(stem: str):
    batch = bundled(stem)
    producers = {o.site for o in batch.orders if o.kind == "pickup"}
    hub = next(s for s in batch.sites if s.kind == "hub")
    assert [(w.start, w.end) for w in hub.time_windows] == [(360, 1200)]
    for c in (s for s in batch.sites if s.kind == "collection_centre"):
        assert [(w.start, w.end) for w in c.time_windows] == [(300, 1200)]
        assert 900 <= c.cutoff <= 1020  # domain.md §4.4: 15:00-17:00
        assert (c.lon, c.lat) != (hub.lon, hub.lat)
    for s in stations(batch):
        opens = 300 if s.id in producers else 480
        assert [(w.start, w.end) for w in s.time_windows] == [(opens, 1080)]
        assert s.service_min == 5
        if s.storage_temp_c is not None:
            assert s.id in producers and s.storage_temp_c == 4
    cold = sum(s.storage_temp_c is not None for s in stations(batch))
    assert 0 < cold <= len(producers)


def test_centres_argument_and_validation():
    batch = generate_county(50, seed=3, centres=3)
    centres = [s for s in batch.sites if s.kind == "collection_centre"]
    assert len(centres) == 3
    assert len({(c.lon, c.lat) for c in centres}) == 3
    assert {o.centre for o in batch.orders if o.kind == "pickup"} <= {c.id for c in centres}
    assert batch.name == "county-50"
    tiny = generate_county(4, seed=0, centres=2)  # one township: centres off the county seat
    assert sum(s.kind == "collection_centre" for s in tiny.sites) == 2
    for bad in (0, 4):
        with pytest.raises(ValueError):
            generate_county(20, seed=0, centres=bad)
    with pytest.raises(ValueError):
        generate_county(0, seed=0)


def _km(a_lon: float, a_lat: float, b_lon: float, b_lat: float) -> float:
    phi1, phi2 = math.radians(a_lat), math.radians(b_lat)
    dphi, dlam = phi2 - phi1, math.radians(b_lon - a_lon)
    h = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlam / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(min(1.0, h)))


@pytest.mark.parametrize("stem", sorted(BUNDLED))
def test_village_spacing(stem: str):
    pts = [(s.lon, s.lat) for s in stations(bundled(stem))]
    nearest = [min(_km(*p, *q) for j, q in enumerate(pts) if j != i) for i, p in enumerate(pts)]
    assert 2.0 <= float(np.mean(nearest)) <= 4.5  # domain.md §0, §1.3: ~3 km (2-4.5)
    assert min(nearest) >= 1.45  # domain.md §1.3: minimum spacing 1.5 km (6-decimal rounding)
    hub = next(s for s in bundled(stem).sites if s.kind == "hub")
    farthest = max(_km(hub.lon, hub.lat, lon, lat) for lon, lat in pts)
    assert farthest < 60  # a county, not a province


@pytest.mark.parametrize("stem", sorted(BUNDLED))
def test_order_sizes(stem: str):
    batch = bundled(stem)
    down = [o for o in batch.orders if o.kind == "delivery"]
    up = [o for o in batch.orders if o.kind == "pickup"]
    assert all(5 <= o.kg <= 600 and o.ready == 390 for o in down)
    assert all(abs(o.m3 - o.kg / 150) <= 0.0006 for o in down)
    assert all(30 <= o.kg <= 1000 for o in up)
    assert all(abs(o.m3 - o.kg / 250) <= 0.0006 for o in up)
    assert 40 <= float(np.median([o.kg for o in down])) <= 120
    assert 100 <= float(np.median([o.kg for o in up])) <= 320
    for o in up:
        assert 300 <= o.ready <= 600 and o.ready % 15 == 0  # harvest 05:00-10:00
        assert 0 <= o.min_freshness <= 0.9


@pytest.mark.parametrize("stem", sorted(BUNDLED))
def test_fleet(stem: str):
    batch = bundled(stem)
    by_id = {v.id: v for v in batch.fleet}
    reefer, van = by_id["reefer"], by_id["van"]
    assert reefer.refrigerated and reefer.compartment_temp_c == 2
    assert not van.refrigerated
    up = sum(o.kg for o in batch.orders if o.kind == "pickup")
    down = sum(o.kg for o in batch.orders if o.kind == "delivery")
    assert reefer.count == math.ceil(up / 1500 * 1.6) + 1
    assert van.count == math.ceil(down / 1000 * 1.3) + 1
    for v in batch.fleet:
        assert (v.shift_start, v.shift_end, v.max_duration_min) == (300, 1140, 720)
        assert v.start == v.end == "HUB"
    assert batch.options.seed == BUNDLED[stem][1] and batch.options.backhaul == "mixed"
    assert batch.options.ambient_temp_c == 25 and batch.options.time_limit_s == 10


# -- every order on its own is servable -------------------------------------------------
class DirectTrips:
    """An independent check of a lone direct trip (does not use optimizer.freshness).

    Conservative about depots: vehicles leave no earlier than the start site opens and are
    back before it closes. Pickups may not be loaded before they are ready.
    """

    def __init__(self, batch: Batch) -> None:
        self.batch = batch
        self.sites = {s.id: s for s in batch.sites}
        self.products = {p.id: p for p in batch.products}
        t = batch.travel
        self.road = None
        if t.mode == "road_network":
            # Road times come from the network module (what the solver uses too).
            self.road = travel_matrices(batch, ROADS_DIR)
            self.index = self.road.index()
        else:
            self.circuity, self.speed, self.access = t.circuity, t.speed_kmh, t.access_min

    def minutes(self, a: str, b: str) -> float:
        if self.road is not None:
            return float(self.road.minutes[self.index[a], self.index[b]])
        sa, sb = self.sites[a], self.sites[b]
        km = _km(sa.lon, sa.lat, sb.lon, sb.lat) * self.circuity
        return 0.0 if km == 0 else self.access + km / self.speed * 60

    @staticmethod
    def service_start(site, t: float) -> float | None:
        for w in site.time_windows:
            if max(t, w.start) <= w.end:
                return max(t, w.start)
        return None if site.time_windows else t

    def rate(self, product, temp: float) -> float:
        return product.q10 ** ((temp - product.ref_temp_c) / 10)

    def carries(self, v: VehicleType, product) -> bool:
        if product.temperature_class == "chilled":
            return v.refrigerated and -2 <= v.compartment_temp_c <= 8
        if product.temperature_class == "frozen":
            return v.refrigerated and v.compartment_temp_c <= -15
        return True

    def ok(self, order: Order, v: VehicleType) -> bool:
        product = self.products[order.product]
        if v.count < 1 or order.kg > v.capacity_kg or order.m3 > v.capacity_m3:
            return False
        if not self.carries(v, product):
            return False
        depot = self.sites[v.start]
        leave = max(v.shift_start, depot.time_windows[0].start)
        latest_back = min(v.shift_end, depot.time_windows[-1].end)
        ambient = self.batch.options.ambient_temp_c
        ride_temp = v.compartment_temp_c if v.refrigerated else ambient
        station = self.sites[order.site]
        if order.kind == "delivery":
            hub = self.sites[order.hub]
            load = self.service_start(hub, max(leave + self.minutes(v.start, hub.id), order.ready))
            if load is None:
                return False
            start_time = load - self.minutes(v.start, hub.id)
            gone = load + hub.service_min
            at = self.service_start(station, gone + self.minutes(hub.id, station.id))
            if at is None:
                return False
            back = at + station.service_min + self.minutes(station.id, v.end)
            used = self.rate(product, ride_temp) * (at - gone)
        else:
            centre = self.sites[order.centre]
            reach = leave + self.minutes(v.start, station.id)
            load = self.service_start(station, max(reach, order.ready))
            if load is None:
                return False
            start_time = max(leave, load - self.minutes(v.start, station.id))
            gone = load + station.service_min
            at = self.service_start(centre, gone + self.minutes(station.id, centre.id))
            if at is None or at > centre.cutoff:
                return False
            back = at + centre.service_min + self.minutes(centre.id, v.end)
            kept = station.storage_temp_c if station.storage_temp_c is not None else ambient
            used = self.rate(product, kept) * (gone - order.ready)
            used += self.rate(product, ride_temp) * (at - gone)
        if back > latest_back or back - start_time > v.max_duration_min:
            return False
        if product.shelf_life_h is None:
            return True
        return 1 - used / (product.shelf_life_h * 60) >= order.min_freshness

    def feasible(self, order: Order) -> bool:
        return any(self.ok(order, v) for v in self.batch.fleet)


@pytest.mark.parametrize(
    "batch",
    [
        pytest.param(bundled("demo-county"), id="demo-county"),
        pytest.param(bundled("county-400"), id="county-400"),
        pytest.param(generate_county(10, seed=9), id="tiny"),
        pytest.param(generate_county(150, seed=4, centres=1), id="150-one-centre"),
    ],
)
def test_every_order_is_feasible_on_its_own(batch: Batch):
    check = DirectTrips(batch)
    bad = [o.id for o in batch.orders if not check.feasible(o)]
    assert not bad, f"orders no direct trip can serve: {bad[:10]}"


@pytest.mark.parametrize("stem", sorted(BUNDLED))
def test_chilled_pickups_have_a_refrigerated_vehicle(stem: str):
    batch = bundled(stem)
    products = {p.id: p for p in batch.products}
    chilled = [
        o
        for o in batch.orders
        if o.kind == "pickup" and products[o.product].temperature_class == "chilled"
    ]
    assert chilled  # the produce mix has strawberries, greens, mushrooms and peaches
    reefers = [v for v in batch.fleet if v.refrigerated and v.count > 0]
    assert reefers and all(-2 <= v.compartment_temp_c <= 8 for v in reefers)
    check = DirectTrips(batch)
    for o in chilled:
        assert any(check.ok(o, v) for v in reefers), o.id
        assert not any(check.ok(o, v) for v in batch.fleet if not v.refrigerated), o.id
