"""Compile numba's kernels (or load them from its on-disk cache) before a solve's clock
starts.

A cold cache (the first solve after an install or a checkout) compiles for seconds: the
search's kernels about 8 s, the road network's (contraction hierarchy, door-to-door
assembly) about 14 s on a 2-core machine. Compiled inside the limit, the road kernels
left the demo county's first 10 s solve no search at all (5,192 CNY with 8 trucks, 12.8 s
wall, against 3,879-3,939 once compiled). Loading a warm cache takes well under a second,
once per process.
"""

from __future__ import annotations

from optimizer.model import Batch
from optimizer.network.spec import RoadNetworkTravel

_ROADS_WARM: list[bool] = []


def warm_up(batch: Batch | None = None) -> None:
    """The search's kernels, and the road network's when ``batch`` travels on roads (or
    when no batch is given: a worker process that will see any)."""
    from optimizer.routing.search.segments import warm_up as warm_up_search

    warm_up_search()
    if _ROADS_WARM or (batch is not None and not isinstance(batch.travel, RoadNetworkTravel)):
        return
    from optimizer.network import ch, d2d

    ch.warm_up()
    d2d.warm_up()
    _ROADS_WARM.append(True)
