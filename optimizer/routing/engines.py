"""What every engine shares: its result types, the integer scales at the solver
boundary and the price of leaving a required order out.

Engines work in integers; the core works in minutes, km, kg, m³ and CNY. Each engine
scales at its own boundary with these factors (travel rounded up, windows and
capacities rounded inwards), so an integer-feasible route is feasible in floating
point, and the validator rechecks every plan anyway.
"""

from __future__ import annotations

from dataclasses import dataclass, field

TIME_SCALE = 1000  # units per minute: coarser ticks cut off optimal Solomon routes
COST_SCALE = 100_000  # units per CNY
KG_SCALE = 10
KM_SCALE = 1000  # metres: route-length limits
M3_SCALE = 1000
REQUIRED_PENALTY_CNY = 1e6  # keeps a model feasible; an unserved required order is reported
FRESHNESS_RATE_SCALE = 1000  # integer precision of decay rates
# Reference minutes of shelf life every plan keeps in hand (3 s): it absorbs the engines'
# rounding of departures (a tick, times a decay rate of up to 50). The pre-solve check,
# both engines and the search hold this same margin back, so an order the check passes
# is one the engines can serve alone; the validator checks the limit itself.
FRESHNESS_MARGIN_MIN = 0.05


@dataclass
class EngineRoute:
    vehicle: int  # index into problem.vehicles
    nodes: list[int]  # node ids, start and end depots included
    times: list[float]  # service start (minutes) per node, from the solver


@dataclass
class EngineResult:
    routes: list[EngineRoute]
    objective: float  # CNY as the engine saw it (scaled back)
    status: str
    seconds: float
    state: object = field(default=None, repr=False)  # what the engine needs to resume
