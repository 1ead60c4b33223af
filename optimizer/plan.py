"""The plan schema (``freshroute.plan/v1``): routes, per-order outcomes, KPIs, GeoJSON.

A route is a sequence of stops. A stop is one visit to one site, where orders are
loaded (deliveries at a hub, pickups at a station) and unloaded (deliveries at a
station, pickups at a collection centre). The first stop is at the vehicle's start
site and the last at its end site. Service time is charged once per stop that loads or
unloads anything; stops with no actions (start or end of a route) take no service. The
engines give each order at a village station a stop of its own (unload the parcels,
then load the produce), so a truck may wait there between two orders.
All times are minutes after midnight, floating point.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from optimizer.reasons import Reason, ReasonCode

PLAN_SCHEMA_ID = "freshroute.plan/v1"


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Stop(_Out):
    site: str
    arrival: float = Field(description="When the vehicle reaches the site.")
    start: float = Field(description="When service starts (after any wait).")
    departure: float = Field(description="When the vehicle leaves.")
    load: list[str] = Field(default_factory=list, description="Order ids loaded here.")
    unload: list[str] = Field(default_factory=list, description="Order ids unloaded here.")
    kg_on_board: float = Field(description="kg on board when leaving.")
    m3_on_board: float = Field(description="m³ on board when leaving.")
    km_from_previous: float = 0.0


class Rest(_Out):
    """A driver's break (``model.RestRules``): where it is taken and when."""

    kind: Literal["rest", "meal"]
    place: Literal["waiting", "after_service", "road"] = Field(
        description="waiting: at the stop before service (waiting for the window counts); "
        "after_service: at the stop before leaving; road: on the leg after the stop."
    )
    stop: int = Field(ge=0, description="Index of the stop (for road: the leg's first stop).")
    start: float
    end: float


class RouteCost(_Out):
    fixed: float
    distance: float
    time: float
    fuel: float = Field(default=0.0, description="Load-dependent fuel, where rates are set.")
    total: float


class Route(_Out):
    vehicle: str = Field(description="Vehicle id, '<type>-<n>'.")
    vehicle_type: str
    stops: list[Stop]
    km: float
    duration_min: float
    cost: RouteCost
    rests: list[Rest] = Field(
        default_factory=list,
        description="Drivers' rests and meal breaks, in time order (vehicle types with "
        "rest_rules).",
    )


class OrderOutcome(_Out):
    order: str
    kind: Literal["delivery", "pickup", "transfer"]
    served: bool
    vehicle: str | None = None
    loaded_at: float | None = Field(default=None, description="Departure from the loading stop.")
    arrived_at: float | None = Field(default=None, description="Service start at destination.")
    remaining_share: float | None = Field(
        default=None, description="Share of shelf life left on arrival (perishables)."
    )
    remaining_h: float | None = Field(
        default=None, description="Hours of shelf life left on arrival, at reference temperature."
    )
    reason: str | None = Field(default=None, description="Why an order is not served (English).")
    reason_code: ReasonCode | None = Field(
        default=None,
        description="Why an order is not served, as a code (optimizer/reasons.py): found "
        "before solving (it fails even alone, e.g. window_unreachable), or by the search "
        "(penalty_cheaper, not_fitted).",
    )
    reasons: list[Reason] = Field(
        default_factory=list,
        description="The reason with the values its text names, in any language; before "
        "solving, one per vehicle type tried.",
    )


class KPIs(_Out):
    total_cost: float
    fixed_cost: float
    distance_cost: float
    time_cost: float
    fuel_cost: float = Field(default=0.0, description="Load-dependent fuel, where rates are set.")
    penalty_cost: float = Field(description="Penalties of optional orders left unserved.")
    km: float
    empty_km: float = Field(description="km driven with nothing on board.")
    vehicle_hours: float
    vehicles_used: int
    return_legs: int = Field(description="Legs from a village station back to a hub or centre.")
    empty_return_share: float = Field(description="Share of return legs driven empty.")
    load_factor: float = Field(description="Mean kg on board / capacity, weighted by km.")
    pickups_on_delivery_routes_share: float = Field(
        description="Share of served pickups carried on routes that also deliver."
    )
    freshness_min: float | None = None
    freshness_mean: float | None = None
    orders_served: int
    orders_unassigned: int
    required_unassigned: int


class Baseline(_Out):
    """Deliveries and pickups planned as two independent sets of routes."""

    kpis: KPIs
    cost_saving_share: float = Field(description="1 - paired cost / baseline cost.")
    empty_km_saving_share: float = Field(description="1 - paired empty km / baseline empty km.")


class Polishing(_Out):
    """Polishing of the engine's routes under the exact cost (moves within and across
    routes; for a batch planned in parts, across the parts' borders)."""

    cost_before: float = Field(description="Validated total cost of the engine's plan, CNY.")
    cost_after: float = Field(description="Validated total cost after polishing, CNY.")
    moves: int = Field(description="Moves kept.")
    seconds: float


class Plan(_Out):
    schema_: Literal["freshroute.plan/v1"] = Field(default=PLAN_SCHEMA_ID, alias="schema")
    batch: str = ""
    engine: str
    solve_seconds: float
    routes: list[Route]
    orders: list[OrderOutcome]
    kpis: KPIs
    baseline: Baseline | None = None
    polishing: Polishing | None = Field(
        default=None, description="Set when fuel rates made true-cost polishing run."
    )
    down: dict[str, float] = Field(
        default_factory=dict,
        description="Trucks that broke down (a re-plan's vehicle_down), with the clock "
        "minute: they serve nothing more that day, in later re-plans too.",
    )
    replanned_from: str | None = Field(
        default=None, description="API: the id of the plan this one re-plans."
    )
    replans: list[str] = Field(
        default_factory=list, description="API: the ids of the plans re-planned from this one."
    )
