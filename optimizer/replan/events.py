"""The events file (``freshroute.events/v1``): what happened since the plan was made.

One re-plan takes one events file. ``now`` is the re-planning time: every stop a truck
has reached or set off towards by then is done and locked (see ``replan.state``).
Clock times are minutes after midnight or ``"HH:MM"``, like the batch's.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from optimizer.errors import InputMessage, Text, message
from optimizer.model import MAX_CNY, Clock, Minutes, Order

EVENTS_SCHEMA_ID = "freshroute.events/v1"
DEFAULT_MOVE_COST_CNY = 20.0  # a stop given to another truck: a phone call, a driver's re-brief


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False)


class VehicleDown(_Strict):
    """A truck stops where it is: at the last stop it reached by ``at``. Goods on board
    wait there (at ambient temperature) for another truck; its other stops go to others."""

    vehicle: str = Field(description="Vehicle id, '<type>-<n>'.")
    at: Clock | None = Field(default=None, description="When it broke down (default: now).")


class Delay(_Strict):
    """A truck is ``minutes`` late: it continues from its position that much later."""

    vehicle: str = Field(description="Vehicle id, '<type>-<n>'.")
    minutes: Minutes = Field(gt=0)


Point = tuple[Annotated[float, Field(ge=-180, le=180)], Annotated[float, Field(ge=-90, le=90)]]


class RoadClosed(_Strict):
    """Out of use from ``at`` on: the direct leg between two sites (``from``, ``to``; any
    travel mode), or a road of a road network (``road``): the line(s) joining the road
    junctions nearest two points, the matrices recomputed without them."""

    from_site: str | None = Field(default=None, alias="from", description="Site id.")
    to_site: str | None = Field(default=None, alias="to", description="Site id.")
    road: tuple[Point | str, Point | str] | None = Field(
        default=None,
        description="road_network travel: the road between the junctions nearest two "
        "points, each [lon, lat] (in the batch's coordinates) or a site id (its position).",
    )
    both_ways: bool = Field(default=True, description="False: closed from → to only.")
    at: Clock | None = Field(default=None, description="Closed from (default: now).")

    @model_validator(mode="after")
    def _one_kind(self) -> RoadClosed:
        pair = self.from_site is not None or self.to_site is not None
        if pair == (self.road is not None) or (pair and None in (self.from_site, self.to_site)):
            raise InputMessage.of("events.road_kind")
        return self


class ReplanOptions(_Strict):
    move_cost_cny: float = Field(
        default=DEFAULT_MOVE_COST_CNY,
        ge=0,
        le=MAX_CNY,
        description="Cost of giving a stop to another truck than the old plan's: a new "
        "plan moves stops only when that saves more than this per stop.",
    )


class Events(_Strict):
    """What happened since the plan was made, up to ``now``."""

    schema_: Literal["freshroute.events/v1"] = Field(default=EVENTS_SCHEMA_ID, alias="schema")
    now: Clock
    add_orders: list[Order] = Field(default_factory=list, description="Late orders.")
    cancel_orders: list[str] = Field(default_factory=list, description="Order ids.")
    vehicle_down: list[VehicleDown] = Field(default_factory=list)
    delay: list[Delay] = Field(default_factory=list)
    road_closed: list[RoadClosed] = Field(default_factory=list)
    options: ReplanOptions = Field(default_factory=ReplanOptions)

    @model_validator(mode="after")
    def _times(self) -> Events:
        errors: list[tuple[str, Text]] = []
        for i, d in enumerate(self.vehicle_down):
            if d.at is None:
                d.at = self.now
            elif d.at > self.now:
                errors.append((f"vehicle_down[{i}].at", message("events.down_after_now")))
        for r in self.road_closed:
            if r.at is None:
                r.at = self.now
        downs = [d.vehicle for d in self.vehicle_down]
        if len(set(downs)) != len(downs):
            errors.append(("vehicle_down", message("events.vehicle_twice")))
        if len(set(self.cancel_orders)) != len(self.cancel_orders):
            errors.append(("cancel_orders", message("events.order_twice")))
        if errors:
            raise InputMessage(errors)
        return self

    def down_at(self) -> dict[str, float]:
        """Breakdown time per downed vehicle."""
        return {d.vehicle: float(d.at if d.at is not None else self.now) for d in self.vehicle_down}

    def with_down(self, down: dict[str, float]) -> Events:
        """These events plus trucks that broke down before (``Plan.down`` of the plan
        being re-planned): they stay down, at the time they broke down."""
        earlier = [VehicleDown(vehicle=v, at=at) for v, at in down.items()]
        kept = [d for d in self.vehicle_down if d.vehicle not in down]
        if not earlier:
            return self
        return self.model_copy(update={"vehicle_down": [*earlier, *kept]})

    def delays(self) -> dict[str, float]:
        """Minutes late per vehicle (several reports add up)."""
        out: dict[str, float] = {}
        for d in self.delay:
            out[d.vehicle] = out.get(d.vehicle, 0.0) + d.minutes
        return out

    def closed_pairs(self) -> dict[tuple[str, str], float]:
        """Closed (from, to) site pairs and when each closed."""
        out: dict[tuple[str, str], float] = {}
        for r in self.road_closed:
            if r.from_site is None or r.to_site is None:
                continue  # a road of the network: ``roads``
            at = float(r.at if r.at is not None else self.now)
            for pair in [(r.from_site, r.to_site)] + ([(r.to_site, r.from_site)] * r.both_ways):
                out[pair] = min(at, out.get(pair, at))
        return out


def read_events(path: str | Path) -> Events:
    """An events file. Raises ``OSError``, ``json.JSONDecodeError`` or ``ValidationError``."""
    return Events.model_validate(json.loads(Path(path).read_text(encoding="utf-8")))
