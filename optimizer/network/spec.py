"""The ``road_network`` travel mode: where the roads are and how fast each class is driven.

Imported by ``optimizer.model`` as one arm of the ``Travel`` union, so this module
depends on pydantic only.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from optimizer.errors import InputMessage

# Speeds a batch may give, km/h: below 1 km/h a leg of the Earth's size would overflow
# the engines' integer clock ticks; 300 is above any road vehicle.
MIN_SPEED_KMH, MAX_SPEED_KMH = 1.0, 300.0
MAX_SNAP_KM = 1000.0

# One table for every default speed, km/h, keyed by the lower-cased road class.
# Chinese administrative classes follow domain.md §1.4 "suggested speeds" (county road
# 40-50, township road 30-40, village road 15-25: we take the middle). OSM ``highway``
# tags get the speeds of the nearest Chinese class; national/provincial roads sit with
# trunk/primary. ``*_link`` tags take the speed of their base tag.
DEFAULT_SPEEDS_KMH: dict[str, float] = {
    # synthetic / Chinese administrative classes
    "national": 60.0,
    "国道": 60.0,
    "provincial": 55.0,
    "省道": 55.0,
    "county": 45.0,
    "县道": 45.0,
    "township": 35.0,
    "乡道": 35.0,
    "village": 20.0,
    "村道": 20.0,
    # OpenStreetMap highway=*
    "motorway": 80.0,
    "trunk": 60.0,
    "primary": 55.0,
    "secondary": 45.0,
    "tertiary": 35.0,
    "unclassified": 30.0,
    "residential": 20.0,
    "living_street": 10.0,
    "service": 15.0,
    "track": 12.0,
    "road": 20.0,
}

# Used for a class found in neither the table nor ``speeds_kmh`` (reported as a warning).
FALLBACK_SPEED_KMH = 20.0


class RoadNetworkTravel(BaseModel):
    """Travel on a road layer: time-shortest paths, access legs at ``access_speed_kmh``.

    ``path`` is resolved against the batch file's folder when relative. Road layers
    must be noded (lines meet only at shared endpoints), as GIS road layers and
    OpenStreetMap extracts are; lines that cross without a shared endpoint do not
    connect (bridges, overpasses).
    """

    model_config = ConfigDict(extra="forbid")

    mode: Literal["road_network"]
    path: str = Field(
        min_length=1, description="GeoJSON, GeoPackage, Shapefile or OpenStreetMap .osm.pbf."
    )
    layer: str | None = Field(default=None, description="Layer in a multi-layer file.")
    speeds_kmh: dict[str, Annotated[float, Field(ge=MIN_SPEED_KMH, le=MAX_SPEED_KMH)]] = Field(
        default_factory=dict,
        description="km/h per road class, overriding the defaults (domain.md §1.4).",
    )
    class_field: str = Field(default="highway", description="Attribute holding the road class.")
    oneway_field: str | None = Field(
        default="oneway",
        description="Attribute marking one-way lines: yes/true/1 along, -1/reverse against. "
        "A layer without the default 'oneway' attribute is all two-way; null: ignore it.",
    )
    access_speed_kmh: float = Field(
        default=15.0,
        ge=MIN_SPEED_KMH,
        le=MAX_SPEED_KMH,
        description="Speed on the straight leg from a site to its road.",
    )
    max_snap_km: float = Field(
        default=2.0,
        gt=0,
        le=MAX_SNAP_KM,
        description="Warn about sites farther than this from any road.",
    )
    coords: Literal["wgs84", "gcj02"] = Field(
        default="wgs84",
        description="How the batch's site lon/lat are given: GPS (wgs84) or Chinese maps (gcj02).",
    )

    @field_validator("speeds_kmh")
    @classmethod
    def _positive_speeds(cls, value: dict[str, float]) -> dict[str, float]:
        bad = [k for k, v in value.items() if not v > 0]
        if bad:
            raise InputMessage.of("roads.bad_speeds", classes=", ".join(bad))
        return {k.strip().lower(): float(v) for k, v in value.items()}

    def speed_table(self) -> dict[str, float]:
        """Default speeds overridden by ``speeds_kmh``; keys lower-case."""
        return {**DEFAULT_SPEEDS_KMH, **self.speeds_kmh}
