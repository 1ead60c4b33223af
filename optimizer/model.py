"""The batch schema: one day's sites, products, orders, fleet, travel and options.

This is the single source of truth for the CLI, the API and batch files
(``"schema": "freshroute.batch/v1"``). Units: minutes (clock times are minutes
after midnight; ``"HH:MM"`` strings are accepted), km, kg, m³, CNY, °C, hours
for shelf life. Defaults cite ``../shared/reference/domain.md`` by section.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PlainSerializer,
    WithJsonSchema,
    model_validator,
)

from optimizer.errors import InputMessage, Text, message
from optimizer.i18n import normalize_lang, t
from optimizer.io.names import NameIndex, NameProblem, closest, did_you_mean
from optimizer.network.spec import MAX_SPEED_KMH, MIN_SPEED_KMH, RoadNetworkTravel

BATCH_SCHEMA_ID = "freshroute.batch/v1"

# Bounds on every number. The engines scale to integers (``routing.ortools_engine``:
# minutes × 1000, CNY × 1e5, kg × 10, m³ × 1000; PyVRP also km × 100) and hold them in
# int64, so a batch must not carry a value they cannot hold: each maximum is far above
# any county's (and the benchmarks'), and keeps every scaled value below 2**54 (one leg
# at every maximum: 1,200 CNY/km × weight 100 × 1e6 km × 1e5 ≈ 1.2e16; int64 ends at
# 9.2e18). Each bound is in the JSON Schema, and a value past it is a 422 / exit 2 at
# its path, never a failed solve.
CLOCK_MAX_MIN = 7 * 1440.0  # the planning clock: a week, in minutes after midnight
MAX_KG = 1e6  # per order or vehicle (1,000 t)
MAX_M3 = 1e6  # per order or vehicle (the benchmark readers' "no volume limit")
MAX_LEG_KM = 1e6  # one matrix leg (benchmarks: up to 4e5, with their penalty legs)
MAX_ROUTE_KM = 1e9  # a route-length limit (in metres it stays far inside int64)
MAX_LEG_MIN = 1e6  # one matrix leg; one longer than the clock can never be driven anyway
MAX_COUNT = 1000  # vehicles of one type (the service's default for a whole fleet)
MAX_CNY = 1e6  # a vehicle's fixed cost, an order's penalty (the engines' for a required one)
MAX_CNY_PER_KM = 1e3  # domain.md §2.4: 2.5-3
MAX_CNY_PER_HOUR = 1e4  # domain.md §2.4: 35
MAX_FUEL_L_PER_KM = 2.0  # domain.md §2.2: 0.08-0.4
MAX_FUEL_PRICE = 100.0  # CNY/L; domain.md §2.3: 7.5
MAX_WEIGHT = 100.0  # objective weights
MIN_TEMP_C, MAX_TEMP_C = -60.0, 60.0  # any cold room, compartment or day
MAX_SHELF_LIFE_H = 1e5  # 11 years; the catalogue's longest is 4,320 h
MAX_SEED = 2**31 - 1  # PyVRP's generator takes 32 bits, and a second core uses seed + 1
MAX_TIME_LIMIT_S = 3600.0
MAX_PHONE_CHARS = 40  # a phone number or two ("0817-1234567 / 139…")
MAX_NOTE_CHARS = 500  # a note a driver reads at the stop

_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")


def parse_clock(value: object) -> object:
    """Accept minutes after midnight or an ``"HH:MM"`` string (hours may exceed 23)."""
    if isinstance(value, str):
        match = _HHMM.match(value.strip())
        if not match:
            raise InputMessage.of("model.not_clock", value=value)
        hours, minutes = int(match[1]), int(match[2])
        if minutes >= 60:
            raise InputMessage.of("model.clock_minutes", value=value, minutes=minutes)
        return float(hours * 60 + minutes)
    return value


def format_clock(minutes: float) -> str:
    """Minutes after midnight as ``HH:MM`` (rounded to the minute)."""
    total = round(minutes)
    return f"{total // 60:02d}:{total % 60:02d}"


CLOCK_SCHEMA = {
    "anyOf": [
        {"type": "number", "minimum": 0, "maximum": CLOCK_MAX_MIN},
        {"type": "string", "pattern": r"^\d{1,2}:[0-5]\d$"},
    ],
    "description": "Minutes after midnight, or 'HH:MM'.",
}
Clock = Annotated[
    float,
    Field(ge=0, le=CLOCK_MAX_MIN),
    BeforeValidator(parse_clock),
    WithJsonSchema(CLOCK_SCHEMA),
]

OptClock = Annotated[
    Clock | None, Field(default=None, description="Minutes after midnight, or 'HH:MM'.")
]
Minutes = Annotated[float, Field(ge=0, le=CLOCK_MAX_MIN)]  # a duration within the clock
Temperature = Annotated[float, Field(ge=MIN_TEMP_C, le=MAX_TEMP_C)]

RoundedFloat = Annotated[float, PlainSerializer(lambda v: round(v, 4), return_type=float)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False)


class TimeWindow(_Strict):
    """A closed interval of the day when service may start."""

    start: Clock
    end: Clock

    @model_validator(mode="after")
    def _ordered(self) -> TimeWindow:
        if self.end < self.start:
            raise InputMessage.of("model.window_order", end=self.end, start=self.start)
        return self


class RestRules(_Strict):
    """Drivers' rest rules of one vehicle type (defaults: China's Road Traffic Safety Law
    implementing regulation, art. 62: at most 4 h of continuous driving, then a rest of
    at least 20 min). The planner places the rests; the validator checks them.

    A stop counts as a rest when the truck stands still, not being loaded or unloaded,
    for ``min_rest_min`` in one piece (waiting for a window counts). The working day's
    limit is the vehicle type's ``max_duration_min``."""

    max_driving_min: float = Field(
        default=240.0, gt=0, le=CLOCK_MAX_MIN, description="Longest continuous driving."
    )
    min_rest_min: float = Field(
        default=20.0, gt=0, le=CLOCK_MAX_MIN, description="Shortest rest that resets it."
    )
    meal_window: TimeWindow | None = Field(
        default=None,
        description="When a meal break must be taken (e.g. 11:30-13:30), by a driver "
        "out for the whole window; none: no meal break.",
    )
    meal_min: float = Field(
        default=30.0,
        gt=0,
        le=CLOCK_MAX_MIN,
        description="Length of the meal break (a rest too: at least min_rest_min).",
    )
    driven_min: float | None = Field(
        default=None,
        ge=0,
        le=CLOCK_MAX_MIN,
        description="Continuous driving already done when a route starts; none: 0 "
        "(re-plans set it for a truck on the road).",
    )
    meal_due: bool | None = Field(
        default=None,
        description="Whether the meal break is still due; none: when the route leaves "
        "before meal_window opens (re-plans set it for a truck on the road).",
    )

    @model_validator(mode="after")
    def _check(self) -> RestRules:
        w = self.meal_window
        if w is not None and w.end - w.start < self.meal_min:
            raise InputMessage.of("model.meal_window_short", minutes=self.meal_min)
        if w is not None and self.meal_min < self.min_rest_min:
            raise InputMessage.of("model.meal_short", meal=self.meal_min, rest=self.min_rest_min)
        return self


SiteKind = Literal["hub", "collection_centre", "station"]


class Site(_Strict):
    """A place a vehicle visits: county hub (depot), collection centre, village station or farm."""

    id: str = Field(min_length=1)
    name: str = ""
    kind: SiteKind
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    service_min: Minutes = Field(
        default=5.0, description="Minutes per visit (domain.md §2.5: median 5 min)."
    )
    time_windows: list[TimeWindow] = Field(
        default_factory=list,
        description="When service may start; empty means any time. Several windows allowed.",
    )
    storage_temp_c: Temperature | None = Field(
        default=None,
        description="Cold-room temperature where produce waits; none means the batch's ambient.",
    )
    cutoff: OptClock = Field(
        default=None,
        description=(
            "Collection centres: unloading must start by this time to make the outbound trunk."
        ),
    )
    single_visit: bool = Field(
        default=False,
        description=(
            "Stations: one truck serves all of the station's orders in one stop (parcels "
            "unloaded, then produce loaded; service charged once). Its orders are served "
            "together or, where all are optional, not at all."
        ),
    )
    phone: str | None = Field(
        default=None, max_length=MAX_PHONE_CHARS, description="Contact phone, for run sheets."
    )
    note: str | None = Field(
        default=None,
        max_length=MAX_NOTE_CHARS,
        description="A note for the driver, on run sheets.",
    )

    @model_validator(mode="after")
    def _windows_sorted(self) -> Site:
        self.time_windows = sorted(self.time_windows, key=lambda w: w.start)
        for a, b in zip(self.time_windows, self.time_windows[1:], strict=False):
            if b.start <= a.end:
                raise InputMessage.of(
                    "model.windows_overlap", a_start=a.start, a_end=a.end, b_start=b.start
                )
        if self.cutoff is not None and self.kind != "collection_centre":
            raise InputMessage.of("model.cutoff_not_centre")
        if self.single_visit and self.kind != "station":
            raise InputMessage.of("model.single_visit_not_station")
        return self


TemperatureClass = Literal["frozen", "chilled", "cool", "ambient"]


class CatalogueEntry(BaseModel):
    """Default shelf life of a produce category (domain.md §3.1, §3.2)."""

    temperature_class: TemperatureClass
    shelf_life_h: float | None
    ref_temp_c: float
    q10: float


# domain.md §3.1 (shelf life at the optimum temperature) and §3.2 (Q10: 3 for 0-10 °C,
# 2.5 for 10-20 °C, 2 for 20-30 °C). Where §3.1 gives a range we take its lower end.
# category: (temperature class, shelf life h at ref °C, ref °C, Q10)
_CATALOGUE_ROWS: dict[str, tuple[TemperatureClass, float | None, float, float]] = {
    "strawberry": ("chilled", 120, 0, 3),
    "leafy_greens": ("chilled", 240, 0, 3),
    "mushroom": ("chilled", 120, 1, 3),
    "broccoli": ("chilled", 240, 0, 3),
    "sweet_corn": ("chilled", 96, 0, 3),
    "lychee": ("chilled", 240, 1, 3),
    "cherry": ("chilled", 336, 0, 3),
    "peach": ("chilled", 336, 0, 3),
    "tomato": ("cool", 168, 10, 2.5),
    "citrus": ("cool", 336, 6, 2.5),
    "cabbage": ("cool", 1440, 0, 3),
    "eggs": ("cool", 1008, 4, 2),
    "apple": ("ambient", 720, 0, 3),
    "potato": ("ambient", 2400, 8, 2),
    "milk": ("chilled", 144, 4, 4),
    "pork": ("chilled", 72, 2, 4),
    "frozen_food": ("frozen", 4320, -18, 3),
    "parcels": ("ambient", None, 20, 1),
}
PRODUCT_CATALOGUE: dict[str, CatalogueEntry] = {
    name: CatalogueEntry(temperature_class=t, shelf_life_h=h, ref_temp_c=r, q10=q)
    for name, (t, h, r, q) in _CATALOGUE_ROWS.items()
}


def custom_product_gaps(values: Mapping[str, object]) -> list[str]:
    """Fields a product outside the catalogue must give that ``values`` leaves empty:
    its temperature class, reference °C, Q10 and (when perishable) shelf life."""
    names = ["temperature_class", "ref_temp_c", "q10"]
    if values.get("perishable", True):
        names.append("shelf_life_h")
    return [name for name in names if values.get(name) is None]


def _product_needs(category: str, missing: list[str]) -> Text:
    """The error of a product outside the catalogue that leaves ``missing`` fields empty."""
    choices = closest(category, PRODUCT_CATALOGUE)

    def text(lang: str) -> str:
        code = normalize_lang(lang)
        fields = [
            t("model.product_needs.shelf_life_h", code) if name == "shelf_life_h" else name
            for name in missing
        ]
        sep = "、" if code == "zh-CN" else ", "
        hint = did_you_mean(choices, code)
        return t("model.product_needs", code, category=category, fields=sep.join(fields), hint=hint)

    return text


class Product(_Strict):
    """A product: its temperature class and how fast it loses shelf life.

    Fields left out are filled from ``PRODUCT_CATALOGUE[category]``. A product with no
    shelf life (``null``) is not perishable: freshness is not tracked for it.
    """

    id: str = Field(min_length=1)
    name: str = ""
    category: str = Field(description="A catalogue category, e.g. 'strawberry', or any label.")
    temperature_class: TemperatureClass | None = None
    shelf_life_h: float | None = Field(
        default=None, gt=0, le=MAX_SHELF_LIFE_H, description="Shelf life at ref_temp_c, hours."
    )
    ref_temp_c: Temperature | None = None
    q10: float | None = Field(default=None, ge=1, le=10)
    perishable: bool = Field(
        default=True, description="False: no shelf life is tracked even if the category has one."
    )

    @model_validator(mode="after")
    def _fill_from_catalogue(self) -> Product:
        entry = PRODUCT_CATALOGUE.get(self.category)
        if entry is None:
            missing = custom_product_gaps(self.__dict__)
            if missing:
                raise InputMessage([("", _product_needs(self.category, missing))])
        else:
            if self.temperature_class is None:
                self.temperature_class = entry.temperature_class
            if self.ref_temp_c is None:
                self.ref_temp_c = entry.ref_temp_c
            if self.q10 is None:
                self.q10 = entry.q10
            if self.shelf_life_h is None and self.perishable:
                self.shelf_life_h = entry.shelf_life_h
        if not self.perishable:
            self.shelf_life_h = None
        return self


class Order(_Strict):
    """One consignment: ``delivery`` goes down hub→stop, ``pickup`` goes up stop→centre,
    ``transfer`` goes across from one station (``origin``) to another (``site``).

    ``site``, ``origin``, ``hub`` and ``centre`` take a site code or a site's unique name;
    the batch stores the code (``optimizer.io.names``)."""

    id: str = Field(min_length=1)
    kind: Literal["delivery", "pickup", "transfer"]
    site: str = Field(
        description="The village station or farm served (transfers: unloaded): code or name."
    )
    origin: str | None = Field(default=None, description="Transfers: the station it is loaded at.")
    hub: str | None = Field(
        default=None, description="Deliveries: the hub it is loaded at (default: the only hub)."
    )
    centre: str | None = Field(
        default=None,
        description="Pickups: the collection centre it goes to (default: the only centre).",
    )
    product: str
    kg: float = Field(ge=0, le=MAX_KG)
    m3: float = Field(default=0.0, ge=0, le=MAX_M3)
    ready: OptClock = Field(
        default=None,
        description=(
            "Pickup: harvest time; delivery: time it is ready at the hub. "
            "Loading cannot start earlier; a pickup's shelf-life clock starts here."
        ),
    )
    min_freshness: float = Field(
        default=0.0,
        ge=0,
        lt=1,
        description="Minimum share of shelf life left on arrival (0-1).",
    )
    penalty: float | None = Field(
        default=None,
        ge=0,
        le=MAX_CNY,
        description="CNY lost if the order is not served; set it to make the order optional.",
    )
    phone: str | None = Field(
        default=None,
        max_length=MAX_PHONE_CHARS,
        description="Contact for this order (e.g. the farmer), if not the site's.",
    )
    note: str | None = Field(
        default=None,
        max_length=MAX_NOTE_CHARS,
        description="A note for the driver, on run sheets.",
    )

    def ends(self) -> tuple[str, str]:
        """(where it is loaded, where it is unloaded), once the batch filled defaults in."""
        if self.kind == "delivery":
            assert self.hub is not None
            return self.hub, self.site
        if self.kind == "transfer":
            assert self.origin is not None
            return self.origin, self.site
        assert self.centre is not None
        return self.site, self.centre

    def waits_at(self) -> str | None:
        """The station where it waits for the truck (pickups, transfers), else None."""
        return None if self.kind == "delivery" else self.ends()[0]


class VehicleType(_Strict):
    """A group of identical vehicles (domain.md §2)."""

    id: str = Field(min_length=1)
    name: str = ""
    count: int = Field(ge=0, le=MAX_COUNT)
    capacity_kg: float = Field(gt=0, le=MAX_KG)
    capacity_m3: float = Field(gt=0, le=MAX_M3)
    refrigerated: bool = False
    compartment_temp_c: Temperature | None = Field(
        default=None, description="Refrigerated vehicles: compartment °C (default 2 °C)."
    )
    cost_per_km: float = Field(
        default=2.5,
        ge=0,
        le=MAX_CNY_PER_KM,
        description=(
            "domain.md §2.4: 2.5-3 CNY/km. With fuel rates set it covers the rest of the "
            "per-km cost (tyres, upkeep) and fuel is priced per leg by the load."
        ),
    )
    fuel_l_per_km_empty: float | None = Field(
        default=None,
        ge=0,
        le=MAX_FUEL_L_PER_KM,
        description="Litres per km with nothing on board (domain.md §2: 0.08).",
    )
    fuel_l_per_km_full: float | None = Field(
        default=None,
        ge=0,
        le=MAX_FUEL_L_PER_KM,
        description="Litres per km at capacity_kg (domain.md §2.2: 0.102 light truck).",
    )
    cost_per_hour: float = Field(
        default=35.0, ge=0, le=MAX_CNY_PER_HOUR, description="domain.md §2.4: driver 35 CNY/h."
    )
    fixed_cost: float = Field(
        default=250.0, ge=0, le=MAX_CNY, description="domain.md §0: 250 CNY a day used."
    )
    shift_start: Clock = 360.0
    shift_end: Clock = 1080.0
    max_duration_min: float = Field(
        default=720.0, gt=0, le=CLOCK_MAX_MIN, description="domain.md §2.5: 12 h hard maximum."
    )
    max_km: float | None = Field(
        default=None,
        gt=0,
        le=MAX_ROUTE_KM,
        description="Longest route in km, if any: an electric van's range, a driver's allowance.",
    )
    single_trip: bool = Field(
        default=False,
        description=(
            "Leave the start site once and come back once: no reloading at a hub between "
            "stations, produce dropped only after the last station (classic VRP rules)."
        ),
    )
    min_used: int = Field(
        default=0,
        ge=0,
        le=MAX_COUNT,
        description=(
            "At least this many of these vehicles run (e.g. contracted trucks that run "
            "every day; classic VRPB's exactly K routes)."
        ),
    )
    rest_rules: RestRules | None = Field(
        default=None,
        description="Drivers' rest rules (regulation defaults when given as {}); none: "
        "no rests planned (classic benchmarks). Bundled scenarios set them.",
    )
    start: str | None = Field(default=None, description="Start site (default: the only hub).")
    end: str | None = Field(default=None, description="End site (default: the start site).")

    @model_validator(mode="after")
    def _check(self) -> VehicleType:
        if self.shift_end < self.shift_start:
            raise InputMessage.of("model.shift_order")
        if self.refrigerated and self.compartment_temp_c is None:
            self.compartment_temp_c = 2.0
        if not self.refrigerated and self.compartment_temp_c is not None:
            raise InputMessage.of("model.compartment_not_reefer")
        if self.min_used > self.count:
            raise InputMessage.of(
                "model.min_used_over_count", min_used=self.min_used, count=self.count
            )
        if (self.fuel_l_per_km_empty is None) != (self.fuel_l_per_km_full is None):
            raise InputMessage.of("model.fuel_both")
        if (self.fuel_l_per_km_full or 0.0) < (self.fuel_l_per_km_empty or 0.0):
            raise InputMessage.of("model.fuel_order")
        return self

    @property
    def has_fuel(self) -> bool:
        """Fuel priced per leg by the load (both rates given)."""
        return self.fuel_l_per_km_empty is not None


class HaversineTravel(_Strict):
    """Great-circle km × circuity; minutes = access + km / speed (domain.md §1.4, §1.5)."""

    mode: Literal["haversine"] = "haversine"
    circuity: float = Field(default=1.30, ge=1.0, le=3.0)
    speed_kmh: float = Field(default=48.0, ge=MIN_SPEED_KMH, le=MAX_SPEED_KMH)
    access_min: Minutes = 5.0


class MatrixTravel(_Strict):
    """Explicit km and minutes between all sites, e.g. exported from a map provider."""

    mode: Literal["matrix"]
    site_ids: list[str] = Field(min_length=1)
    km: list[list[Annotated[float, Field(ge=0, le=MAX_LEG_KM)]]]
    minutes: list[list[Annotated[float, Field(ge=0, le=MAX_LEG_MIN)]]]

    @model_validator(mode="after")
    def _square(self) -> MatrixTravel:
        n = len(self.site_ids)
        for name in ("km", "minutes"):
            rows = getattr(self, name)
            if len(rows) != n or any(len(r) != n for r in rows):
                raise InputMessage.of("model.matrix_shape", name=name, n=n)
            # Checked as an array: a re-plan of a 1,000-village day validates matrices of
            # a million entries several times (a Python loop took 0.9 s each).
            values = np.asarray(rows, dtype=float)
            if bool((values < 0).any() or np.isnan(values).any()):
                raise InputMessage.of("model.matrix_negative", name=name)
            # PyVRP refuses a matrix whose diagonal is not zero, and a stay is no leg.
            off = np.flatnonzero(np.diagonal(values) != 0)
            if off.size:
                i = int(off[0])
                raise InputMessage.of("model.matrix_diagonal", name=name, i=i, value=rows[i][i])
        if len(set(self.site_ids)) != n:
            raise InputMessage.of("model.site_ids_duplicates")
        return self


def _default_mode(value: object) -> object:
    """A travel object without ``mode`` is haversine, as the schema's defaults say (the
    other modes require theirs)."""
    if isinstance(value, dict) and "mode" not in value:
        return {**value, "mode": "haversine"}
    return value


Travel = Annotated[
    HaversineTravel | MatrixTravel | RoadNetworkTravel,
    Field(discriminator="mode"),
    BeforeValidator(_default_mode),
]


class ObjectiveWeights(_Strict):
    """Multipliers on the cost parts; 1 means cost in CNY as is."""

    fixed: float = Field(default=1.0, ge=0, le=MAX_WEIGHT)
    distance: float = Field(default=1.0, ge=0, le=MAX_WEIGHT)
    time: float = Field(default=1.0, ge=0, le=MAX_WEIGHT)


class Options(_Strict):
    time_limit_s: float = Field(default=10.0, gt=0, le=MAX_TIME_LIMIT_S)
    seed: int = Field(default=0, ge=0, le=MAX_SEED)
    backhaul: Literal["mixed", "deliveries_first"] = Field(
        default="mixed",
        description="mixed: pickups and deliveries in any order; deliveries_first: classic VRPB.",
    )
    weights: ObjectiveWeights = Field(default_factory=ObjectiveWeights)
    ambient_temp_c: Temperature = Field(
        default=25.0, description="Outside temperature (domain.md §3.1: ambient 20-30 °C)."
    )
    baseline: bool = Field(
        default=True, description="Also plan the separate-fleets baseline and report savings."
    )
    fuel_price_cny_per_l: float = Field(
        default=7.5,
        gt=0,
        le=MAX_FUEL_PRICE,
        description="Diesel price for fuel rates (domain.md §2.3: 7.5 CNY/L).",
    )


def _single_visit_mix(orders: list[Order], sites: dict[str, Site]) -> list[tuple[str, Text]]:
    """Errors for single-visit stations mixing required and optional orders: served
    together or not at all, a penalty on only some of them would have no meaning."""
    required: dict[str, set[bool]] = {}
    for o in orders:
        for sid in (o.site, o.origin):
            site = sites.get(sid or "")
            if site is not None and site.single_visit:
                required.setdefault(site.id, set()).add(o.penalty is None)
    return [
        (f"sites['{sid}'].single_visit", message("model.single_visit_mix"))
        for sid, kinds in required.items()
        if len(kinds) > 1
    ]


def _not_a_station(site: str | None, kind: str) -> Text:
    return lambda lang: t("model.not_a_station", lang, site=site, kind=t(f"site_kind.{kind}", lang))


def _unknown_product(product: str, known: set[str]) -> Text:
    choices = closest(product, known)
    return lambda lang: (
        t("name.unknown_product", lang, value=product) + did_you_mean(choices, normalize_lang(lang))
    )


def surrogate_paths(data: object, limit: int = 20) -> list[str]:
    """JSON paths of strings (or keys) with lone surrogates, which JSON text can carry
    (``"\\ud800"``) but UTF-8, and so pydantic's error messages, cannot."""
    found: list[str] = []
    stack: list[tuple[tuple[int | str, ...], object]] = [((), data)]
    while stack and len(found) < limit:
        loc, value = stack.pop()
        if isinstance(value, str):
            if not _utf8(value):
                found.append(_path(loc))
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str) and not _utf8(key):
                    found.append(_path(loc))
                else:
                    stack.append(((*loc, key), item))
        elif isinstance(value, list):
            stack.extend(((*loc, i), item) for i, item in enumerate(value))
    return sorted(found)


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "batch"


class Batch(_Strict):
    """One day's planning input."""

    schema_: Literal["freshroute.batch/v1"] = Field(default=BATCH_SCHEMA_ID, alias="schema")
    name: str = ""
    sites: list[Site] = Field(min_length=1)
    products: list[Product] = Field(default_factory=list)
    orders: list[Order] = Field(default_factory=list)
    fleet: list[VehicleType] = Field(min_length=1)
    travel: Travel = Field(default_factory=HaversineTravel)
    options: Options = Field(default_factory=Options)

    @model_validator(mode="after")
    def _references(self) -> Batch:
        errors: list[tuple[str, Text]] = []
        site_by_id: dict[str, Site] = {}
        for i, s in enumerate(self.sites):
            if s.id in site_by_id:
                errors.append((f"sites[{i}].id", message("model.duplicate_id", id=s.id)))
            site_by_id[s.id] = s
        names = NameIndex((s.id, s.name) for s in self.sites)

        def code(value: str | None, where: str) -> str | None:
            """The site code ``value`` names (a code or a unique name), else an error."""
            if value is None or value in site_by_id:
                return value
            try:
                return names.resolve(value)
            except NameProblem as e:
                errors.append((where, e.message))
                return None

        hubs = [s.id for s in self.sites if s.kind == "hub"]
        centres = [s.id for s in self.sites if s.kind == "collection_centre"]
        product_ids: set[str] = set()
        for i, p in enumerate(self.products):
            if p.id in product_ids:
                errors.append((f"products[{i}].id", message("model.duplicate_id", id=p.id)))
            product_ids.add(p.id)
        order_ids: set[str] = set()
        for i, o in enumerate(self.orders):
            where = f"orders[{i}]"
            if o.id in order_ids:
                errors.append((f"{where}.id", message("model.duplicate_id", id=o.id)))
            order_ids.add(o.id)
            # A name becomes its code; a reference that names no site is reported here once
            # and kept as written, so the checks below skip it (they look up site_by_id).
            o.site = code(o.site, f"{where}.site") or o.site
            o.origin = code(o.origin, f"{where}.origin") or o.origin
            o.hub = code(o.hub, f"{where}.hub") or o.hub
            o.centre = code(o.centre, f"{where}.centre") or o.centre
            site = site_by_id.get(o.site)
            if site is not None and site.kind != "station":
                errors.append((f"{where}.site", _not_a_station(o.site, site.kind)))
            if o.product not in product_ids:
                errors.append((f"{where}.product", _unknown_product(o.product, product_ids)))
            if o.kind != "transfer" and o.origin is not None:
                errors.append((f"{where}.origin", message("model.origin_not_transfer")))
            if o.kind == "transfer":
                if o.hub is not None or o.centre is not None:
                    errors.append((where, message("model.transfer_no_hub")))
                origin = site_by_id.get(o.origin or "")
                if o.origin is None:
                    errors.append((f"{where}.origin", message("model.transfer_needs_origin")))
                elif origin is None:
                    pass  # reported by code()
                elif origin.kind != "station":
                    errors.append((f"{where}.origin", _not_a_station(o.origin, origin.kind)))
                elif o.origin == o.site:
                    errors.append((f"{where}.origin", message("model.origin_is_site")))
            elif o.kind == "delivery":
                if o.centre is not None:
                    errors.append((f"{where}.centre", message("model.centre_not_pickup")))
                if o.hub is None:
                    if len(hubs) == 1:
                        o.hub = hubs[0]
                    else:
                        errors.append((f"{where}.hub", message("model.name_hub", n=len(hubs))))
                elif o.hub not in hubs and o.hub in site_by_id:
                    errors.append((f"{where}.hub", message("model.not_hub", site=o.hub)))
            else:
                if o.hub is not None:
                    errors.append((f"{where}.hub", message("model.hub_not_delivery")))
                if o.centre is None:
                    if len(centres) == 1:
                        o.centre = centres[0]
                    else:
                        errors.append(
                            (f"{where}.centre", message("model.name_centre", n=len(centres)))
                        )
                elif o.centre not in centres and o.centre in site_by_id:
                    errors.append((f"{where}.centre", message("model.not_centre", site=o.centre)))
        errors += _single_visit_mix(self.orders, site_by_id)
        vt_ids: set[str] = set()
        for i, v in enumerate(self.fleet):
            where = f"fleet[{i}]"
            if v.id in vt_ids:
                errors.append((f"{where}.id", message("model.duplicate_id", id=v.id)))
            vt_ids.add(v.id)
            if v.start is None:
                if len(hubs) == 1:
                    v.start = hubs[0]
                else:
                    errors.append((f"{where}.start", message("model.name_hub", n=len(hubs))))
            else:
                v.start = code(v.start, f"{where}.start") or v.start
            v.end = v.start if v.end is None else (code(v.end, f"{where}.end") or v.end)
            for end in ("start", "end") if v.end != v.start else ("start",):
                place = site_by_id.get(getattr(v, end) or "")
                if place is not None and place.kind == "station":
                    errors.append(
                        (f"{where}.{end}", message("model.end_is_station", site=place.id))
                    )
        if isinstance(self.travel, MatrixTravel):
            known = set(self.travel.site_ids)
            missing = [s.id for s in self.sites if s.id not in known]
            if missing:
                sites = ", ".join(missing[:10])
                errors.append(
                    ("travel.site_ids", message("model.matrix_missing_sites", sites=sites))
                )
        if errors:
            raise InputMessage(errors)
        return self

    @model_validator(mode="wrap")
    @classmethod
    def _valid_unicode(cls, data: object, handler: ModelWrapValidatorHandler[Batch]) -> Batch:
        """Lone surrogates are an input error at their paths (pydantic itself would fail
        with ``UnicodeEncodeError`` on an error message that quotes one). Looked for only
        when validation trips on one, so valid batches cost nothing more. Defined after
        ``_references`` so that it wraps that check too."""
        try:
            return handler(data)
        except UnicodeEncodeError:
            paths = surrogate_paths(data) or ["batch"]
            raise InputMessage((p, message("model.lone_surrogate")) for p in paths) from None

    # -- lookups (the batch is not mutated after validation) ----------------------------
    @cached_property
    def sites_by_id(self) -> dict[str, Site]:
        return {s.id: s for s in self.sites}

    @cached_property
    def products_by_id(self) -> dict[str, Product]:
        return {p.id: p for p in self.products}

    @cached_property
    def fleet_by_id(self) -> dict[str, VehicleType]:
        return {v.id: v for v in self.fleet}

    @cached_property
    def orders_by_id(self) -> dict[str, Order]:
        return {o.id: o for o in self.orders}


def with_orders(batch: Batch, orders: list[Order]) -> Batch:
    """A copy of ``batch`` with other orders, revalidated (so its lookups are fresh)."""
    data = batch.model_dump(by_alias=True)
    data["orders"] = [o.model_dump() for o in orders]
    return Batch.model_validate(data)


def with_fleet(batch: Batch, fleet: list[VehicleType]) -> Batch:
    """A copy of ``batch`` with another fleet, revalidated (so its lookups are fresh)."""
    data = batch.model_dump(by_alias=True)
    data["fleet"] = [vt.model_dump() for vt in fleet]
    return Batch.model_validate(data)


def read_batch(path: str | Path) -> Batch:
    """A batch file, with a relative road-network path taken from the file's folder.

    Raises ``OSError``, ``json.JSONDecodeError`` or pydantic's ``ValidationError``.
    """
    path = Path(path)
    batch = Batch.model_validate(json.loads(path.read_text(encoding="utf-8")))
    if isinstance(batch.travel, RoadNetworkTravel) and not Path(batch.travel.path).is_absolute():
        batch.travel.path = str((path.parent / batch.travel.path).resolve())
    return batch


def vehicle_ids(batch: Batch) -> list[tuple[str, VehicleType]]:
    """One id per physical vehicle, ``<type>-<n>`` (1-based), in fleet order."""
    return [(f"{vt.id}-{k + 1}", vt) for vt in batch.fleet for k in range(vt.count)]
