"""Pre-solve checks that need the travel matrix run in a child process, never in the API.

The feasibility check of a batch (orders no vehicle can serve, batches that cannot be
planned) compiles the routing problem, which builds the travel matrix over all sites;
a siting request over a road network reads its road file. Both cost memory and CPU in
the square of the sites, so they run in spawned, ``nice``-d processes (``CheckPool``,
``FRESHROUTE_CHECK_WORKERS``), started on first use, which die with the API process. The
API process keeps only the cheap checks (size, schema, limits) and sends the checked body.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from optimizer.errors import Said

log = logging.getLogger("freshroute.api")


# -- inside the check process --------------------------------------------------------------
def _start(parent_pid: int, nice: int) -> None:
    """Die with the API process (even on SIGKILL, as solver workers do), lower the
    priority, warm up."""
    from api.worker import _die_with_parent

    _die_with_parent(parent_pid)
    if nice:
        with contextlib.suppress(OSError):
            os.nice(nice)
    import optimizer.routing.feasibility  # noqa: F401  (warm up before the first check)


def feasibility(body: Any, roads_dir: Path | None) -> dict[str, list[dict[str, str]]]:
    """``{"refusals": [...], "left_out": [...], "warnings": [...]}`` of a schema-valid
    batch body (each ``api.inputs.problem``: English, and Chinese to choose from), or
    ``{"road": [problem]}`` when its road file is unusable."""
    from api.inputs import infeasible, road_problem
    from optimizer.model import Batch
    from optimizer.network.errors import RoadNetworkError

    try:
        found = infeasible(Batch.model_validate(body))
    except RoadNetworkError as e:
        return {"road": [road_problem(e, roads_dir)]}
    return {"refusals": found.refusals, "left_out": found.left_out, "warnings": found.warnings}


def road_network(body: Any, roads_dir: Path | None, at: str) -> list[dict[str, str]]:
    """Problems with a batch body's road network (at ``at``): none when it builds."""
    from api.inputs import road_problem
    from optimizer.model import Batch
    from optimizer.network import travel_matrices
    from optimizer.network.errors import RoadNetworkError

    try:
        travel_matrices(Batch.model_validate(body))  # cached on disk for the worker
    except RoadNetworkError as e:
        return [road_problem(e, roads_dir, at)]
    return []


# -- in the API process --------------------------------------------------------------------
class CheckFailed(Exception):
    """The check process died or raised (e.g. out of memory); the request is not refused."""


class CheckPool:
    """Runs matrix-building checks in spawned processes; blocking calls (use a thread)."""

    def __init__(self, workers: int = 1, nice: int = 10) -> None:
        self.workers = max(1, workers)
        self.nice = nice
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def _pool(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ProcessPoolExecutor(
                    self.workers,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start,
                    initargs=(os.getpid(), self.nice),
                )
            return self._executor

    def run(self, fn: Any, *args: Any) -> Any:
        """``fn(*args)`` in a check process; ``CheckFailed`` if the process dies or raises."""
        pool = self._pool()
        try:
            return pool.submit(fn, *args).result()
        except BrokenProcessPool:
            with self._lock:  # a fresh pool for the next request
                if self._executor is pool:
                    self._executor = None
            pool.shutdown(wait=False, cancel_futures=True)
            raise CheckFailed(Said("api.check_died")) from None
        except Exception as e:
            log.exception("pre-solve check failed")
            raise CheckFailed(f"{type(e).__name__}: {e}") from None

    def stop(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
