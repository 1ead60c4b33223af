"""Solves and siting runs happen in worker processes, never in the server's event loop.

``WorkerPool`` keeps ``FRESHROUTE_WORKERS`` long-lived *spawned* processes, each driven by
one thread of the server (a *slot*). A dispatcher thread hands the next queued job (round
robin across counties) to a free slot; the slot sends the batch to its process over a
pipe and waits for progress and the result, writing both to the database. One process
per slot (rather than a ``ProcessPoolExecutor``) lets the server kill the process of a
single job, which is how a running job is cancelled and how the hard time limit is
enforced: OR-Tools cannot be interrupted from Python, so the process is killed and a fresh
one spawned in its place.

Worker processes run at a lower CPU priority (``nice`` 10 by default) so that the API
stays responsive while every core solves, and they die with the server (Linux
``PR_SET_PDEATHSIG`` plus a watchdog thread).
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import math
import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from functools import partial
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

from optimizer.errors import Rendered, Said, exception_text, input_errors
from optimizer.i18n import t

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess

    from api.core.config import Settings
    from api.metrics import Metrics
    from api.store import Claim, Store
    from optimizer.run.executor import RayExecutor

log = logging.getLogger("freshroute.api")
_ctx = multiprocessing.get_context("spawn")


# -- inside the worker process -------------------------------------------------------------
def _die_with_parent(parent_pid: int) -> None:
    """Exit when the server process goes away, even if it was killed with SIGKILL."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG

    def watch() -> None:
        while True:
            if os.getppid() != parent_pid:
                os._exit(1)
            time.sleep(1.0)

    if os.getppid() != parent_pid:
        os._exit(1)
    threading.Thread(target=watch, daemon=True, name="parent-watchdog").start()


def _input_errors(error: Any) -> Said:
    """A pydantic error's field errors, one after another, in each language."""
    return Rendered(lambda lang: t("join.semicolon", lang).join(input_errors(error, lang)))


def _bug(error: BaseException) -> str:
    """An unexpected exception as a job's error says it (its type and message)."""
    return f"{type(error).__name__}: {error}"[:2000]


def _solve(
    job_id: str, body: Any, limit: float, send: Callable[[tuple], None], interval: float
) -> tuple:
    """Plan one batch; the message for the server (``done`` or ``failed``)."""
    from pydantic import ValidationError

    from optimizer.model import Batch
    from optimizer.network.errors import RoadNetworkError
    from optimizer.routing.feasibility import InfeasibleBatch
    from optimizer.routing.solve import InvalidPlan, plan_batch

    best: dict[str, Any] = {"phase": None, "cost": math.inf, "sent": 0.0, "pending": False}

    def progress(phase: str, elapsed: float, cost: float) -> None:
        # plan_batch reports every solution found, per phase; keep the best of the phase.
        if phase != best["phase"]:
            best.update(phase=phase, cost=math.inf)
        if cost < best["cost"]:
            best.update(cost=cost, pending=True)
        now = time.monotonic()
        if best["pending"] and now - best["sent"] >= interval:
            send(("progress", job_id, phase, best["cost"]))
            best.update(sent=now, pending=False)

    try:
        batch = Batch.model_validate(body)
        plan = plan_batch(batch, time_limit_s=limit, progress=progress)
        return ("done", job_id, plan.model_dump(mode="json", by_alias=True), plan.kpis.total_cost)
    except InfeasibleBatch as e:
        return ("failed", job_id, Said("job.infeasible", issues=Rendered(e.text)))
    except RoadNetworkError as e:  # the road file changed since the batch was checked
        return ("failed", job_id, Said("job.roads", error=Rendered(e.text)))
    except ValidationError as e:
        return ("failed", job_id, Said("job.invalid_batch", errors=_input_errors(e)))
    except InvalidPlan as e:  # a bug in the optimizer, said in words
        return ("failed", job_id, Said("job.solver_error", error=Rendered(e.text)))
    except Exception as e:  # a bug in the optimizer: report it, keep the worker
        traceback.print_exc()
        return ("failed", job_id, Said("job.solver_error", error=_bug(e)))


def _site(job_id: str, kind: str, body: Any, limit: float, send: Callable[[tuple], None]) -> tuple:
    """Run one siting request; the message for the server (``done`` or ``failed``)."""
    from pydantic import ValidationError

    from api.siting import run_siting
    from optimizer.network.errors import RoadNetworkError
    from optimizer.siting.result import SitingError

    def progress(phase: str) -> None:
        send(("progress", job_id, phase, math.inf))  # no cost to report: phases only

    try:
        return ("done", job_id, run_siting(kind, body, limit, progress), None)
    except (SitingError, RoadNetworkError) as e:
        return ("failed", job_id, Said("job.siting", error=Rendered(partial(exception_text, e))))
    except ValidationError as e:
        return ("failed", job_id, Said("job.invalid_request", errors=_input_errors(e)))
    except Exception as e:  # a bug in the optimizer: report it, keep the worker
        traceback.print_exc()
        return ("failed", job_id, Said("job.siting_error", error=_bug(e)))


def _replan(job_id: str, body: Any, limit: float) -> tuple:
    """Re-plan a stored plan after events (``api.routes.replan`` stores the request):
    ``done`` with the new plan, the day's batch and what changed, or ``failed``."""
    from pydantic import ValidationError

    from optimizer.model import Batch
    from optimizer.network.errors import RoadNetworkError
    from optimizer.plan import Plan
    from optimizer.replan.events import Events
    from optimizer.replan.residual import ReplanInputError
    from optimizer.replan.solve import replan
    from optimizer.routing.feasibility import InfeasibleBatch
    from optimizer.routing.solve import InvalidPlan

    try:
        batch = Batch.model_validate(body["batch"])
        old = Plan.model_validate({**body["plan"], "replans": []})
        events = Events.model_validate(body["events"])
        result = replan(batch, old, events, time_limit_s=limit)
        plan = result.plan.model_copy(update={"replanned_from": body["plan_id"]})
        found = {
            "plan": plan.model_dump(mode="json", by_alias=True),
            "batch": result.day.model_dump(mode="json", by_alias=True),
            "changes": result.changes.model_dump(mode="json"),
        }
        return ("done", job_id, found, plan.kpis.total_cost)
    except ReplanInputError as e:
        lines = e.lines
        errors = Rendered(lambda lang: t("join.semicolon", lang).join(lines(lang)))
        return ("failed", job_id, Said("job.invalid_events", errors=errors))
    except InfeasibleBatch as e:
        return ("failed", job_id, Said("job.infeasible", issues=Rendered(e.text)))
    except RoadNetworkError as e:
        return ("failed", job_id, Said("job.roads", error=Rendered(e.text)))
    except ValidationError as e:
        return ("failed", job_id, Said("job.invalid_request", errors=_input_errors(e)))
    except InvalidPlan as e:  # a bug in the optimizer, said in words
        return ("failed", job_id, Said("job.solver_error", error=Rendered(e.text)))
    except Exception as e:  # a bug in the optimizer: report it, keep the worker
        traceback.print_exc()
        return ("failed", job_id, Said("job.solver_error", error=_bug(e)))


def run_job(
    job_id: str, kind: str, body: Any, limit: float, send: Callable[[tuple], None], interval: float
) -> tuple:
    """Run one job of any kind: a batch solve, a re-plan, or a siting run."""
    if kind == "batch":
        return _solve(job_id, body, limit, send, interval)
    if kind == "replan":
        return _replan(job_id, body, limit)
    return _site(job_id, kind, body, limit, send)


def worker_main(conn: Connection, parent_pid: int, nice: int, interval: float) -> None:
    """Entry point of a worker process: solve jobs from the pipe until told to stop."""
    _die_with_parent(parent_pid)
    if nice:
        with contextlib.suppress(OSError):
            os.nice(nice)
    import optimizer.routing.solve  # noqa: F401  (warm up before the first job)

    conn.send(("ready",))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        job_id, kind, body, limit = message
        try:
            conn.send(run_job(job_id, kind, body, limit, conn.send, interval))
        except (BrokenPipeError, OSError):
            return


# -- in the server -------------------------------------------------------------------------
class WorkerSlot:
    """One worker process and the server thread that drives it."""

    def __init__(self, index: int, pool: WorkerPool) -> None:
        self.index = index
        self.pool = pool
        self.process: BaseProcess | None = None
        self.conn: Connection | None = None
        self.current: str | None = None
        self.ready = False  # the process has imported the optimizer
        self.warmed = False  # a process of this slot has been ready at least once
        self.respawning = False  # a process is being replaced (cancel, kill, crash)
        self._cancel = threading.Event()
        self._jobs: queue.SimpleQueue[Claim | None] = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._run, daemon=True, name=f"solve-slot-{index}")

    @property
    def busy(self) -> bool:
        return self.current is not None

    def alive(self) -> bool:
        """The slot can solve now: its thread runs, its process is up and warm."""
        return (
            self.ready
            and self.thread.is_alive()
            and self.process is not None
            and self.process.is_alive()
        )

    def serving(self) -> bool:
        """The slot can take work: its process is up and warm, or being replaced after
        one was (a cancelled or killed solve), so a job assigned now waits a moment at
        most. False before the first process is warm, when a respawn failed, or when
        the slot's thread is gone."""
        if self.pool.stopping or not self.thread.is_alive():
            return False
        return self.alive() or (self.respawning and self.warmed)

    def assign(self, claim: Claim) -> None:
        self.current = claim.job_id
        self._jobs.put(claim)

    def cancel(self, job_id: str) -> bool:
        if self.current == job_id:
            self._cancel.set()
            return True
        return False

    def stop(self) -> None:
        self._cancel.set()
        self._jobs.put(None)

    def _spawn(self, warm_timeout: float = 120.0) -> None:
        """Start a worker process and wait until it has imported the optimizer."""
        settings = self.pool.settings
        self.ready = False
        parent, child = _ctx.Pipe()
        process = _ctx.Process(
            target=worker_main,
            args=(child, os.getpid(), settings.worker_nice, settings.progress_interval_s),
            name=f"freshroute-worker-{self.index}",
            daemon=True,
        )
        process.start()
        child.close()
        self.process, self.conn = process, parent
        deadline = time.monotonic() + warm_timeout
        while process.is_alive() and time.monotonic() < deadline and not self.pool.stopping:
            try:
                if parent.poll(0.1):
                    self.ready = parent.recv() == ("ready",)
                    self.warmed |= self.ready
                    return
            except (EOFError, OSError):
                return

    def _kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.join(5)
        if self.conn is not None:
            self.conn.close()
        self.process, self.conn = None, None
        self.ready = False

    def _restart(self) -> None:
        self.respawning = True
        try:
            self._kill()
            if not self.pool.stopping:
                self._spawn()
        finally:
            self.respawning = False

    def _run(self) -> None:
        try:
            self._spawn()
        except Exception:  # retried before the next job (see _execute)
            log.exception("worker slot %d could not start its process", self.index)
        while True:
            claim = self._jobs.get()
            if claim is None:
                break
            started = time.monotonic()
            outcome = "error"
            try:
                outcome = self._execute(claim)
            except Exception:
                log.exception("worker slot %d failed on job %s", self.index, claim.job_id)
                self._restart()
                with contextlib.suppress(Exception):
                    self.pool.store.fail(claim.job_id, Said("job.internal_error"))
            finally:
                self.pool.observe(outcome, time.monotonic() - started)
                self.current = None
                self._cancel.clear()
                self.pool.wake()
        self._kill()

    def _stopped(
        self, job_id: str, deadline: float, hard: float, checked: list[float]
    ) -> str | None:
        """The outcome when the running job must stop now (its process is replaced):
        cancelled here, past the hard limit, or no longer running in the database
        (``checked[0]``: when that was last asked, once a second); None to go on."""
        store = self.pool.store
        if self._cancel.is_set():
            self._restart()
            if self.pool.stopping:
                store.release(job_id)
                return "released"
            return "cancelled"
        now = time.monotonic()
        if now > deadline:
            self._restart()
            store.fail(job_id, Said("job.killed", seconds=hard))
            return "killed"
        if now - checked[0] > 1.0:  # cancelled by another server process?
            checked[0] = now
            if store.job_state(job_id) != "running":
                self._restart()
                return "cancelled"
        return None

    def _execute(self, claim: Claim) -> str:
        """Run one claimed job to its end; the outcome for the metrics."""
        store, settings = self.pool.store, self.pool.settings
        job_id, limit = claim.job_id, claim.time_limit_s
        if self.process is None or not self.process.is_alive():
            self._restart()
        assert self.conn is not None and self.process is not None
        hard = settings.hard_timeout(limit)
        deadline = time.monotonic() + hard
        self.conn.send((job_id, claim.kind, claim.body, limit))
        checked = [time.monotonic()]
        while True:
            stopped = self._stopped(job_id, deadline, hard, checked)
            if stopped is not None:
                return stopped
            try:
                ready = self.conn.poll(0.1)
                message = self.conn.recv() if ready else None
            except (EOFError, OSError):
                ready, message = True, None
            if message is None:
                if ready or not self.process.is_alive():
                    code = self.process.exitcode
                    self._restart()
                    store.fail(job_id, Said("job.died", code=code))
                    return "crashed"
                continue
            kind = message[0]
            if kind == "ready":  # a late warm-up notice (see _spawn)
                self.ready = self.warmed = True
            elif kind == "progress":
                if not store.set_progress(job_id, message[2], message[3]):
                    self._restart()
                    return "cancelled"
            elif kind == "done":
                result_id = store.finish(job_id, message[2], message[3])
                return "done" if result_id else "cancelled"
            else:
                store.fail(job_id, message[2])
                return "failed"


# -- solves on Ray (FRESHROUTE_EXECUTOR=ray, ``Settings.executor``) --------------------------


def ray_job(job_id: str, kind: str, body: Any, limit: float) -> tuple:
    """A job as a Ray task (no live progress: the messages a process pipe would carry
    are dropped; the job's state, result and errors are as for a local worker)."""
    return run_job(job_id, kind, body, limit, lambda message: None, math.inf)


class RaySlot(WorkerSlot):
    """A slot whose jobs run as Ray tasks: cancelled (``ray.cancel``) and killed at the
    hard time limit like a local process; a task whose Ray worker dies is retried once
    by Ray, then failed; a server restart re-runs interrupted jobs as today."""

    handle: Any = None

    def alive(self) -> bool:
        return self.ready and self.thread.is_alive()

    def _spawn(self, warm_timeout: float = 120.0) -> None:
        self.pool.ray()  # the pool's Ray connection, started once
        self.ready = self.warmed = True

    def _kill(self) -> None:
        if self.handle is not None:
            self.pool.ray().cancel(self.handle)
            self.handle = None

    def _execute(self, claim: Claim) -> str:
        """Run one claimed job as a Ray task to its end; the outcome for the metrics."""
        from optimizer.run.executor import Task

        store, ray = self.pool.store, self.pool.ray()
        job_id, limit = claim.job_id, claim.time_limit_s
        hard = self.pool.settings.hard_timeout(limit)
        deadline = time.monotonic() + hard
        self.handle = ray.submit(Task(job_id, ray_job, (job_id, claim.kind, claim.body, limit)))
        checked = [time.monotonic()]
        try:
            while True:
                stopped = self._stopped(job_id, deadline, hard, checked)  # ray.cancel
                if stopped is not None:
                    return stopped
                outcome = ray.poll(self.handle, job_id, 0.1)
                if outcome is None:
                    continue
                self.handle = None
                if outcome.error is not None:
                    store.fail(job_id, Said("job.ray_failed", error=str(outcome.error)[:2000]))
                    return "crashed"
                message = outcome.value
                if message[0] == "done":
                    return "done" if store.finish(job_id, message[2], message[3]) else "cancelled"
                store.fail(job_id, message[2])
                return "failed"
        finally:
            self._kill()


class WorkerPool:
    """Worker slots plus the dispatcher that feeds them from the database queue."""

    def __init__(self, settings: Settings, store: Store, metrics: Metrics | None = None) -> None:
        self.settings = settings
        self.store = store
        self.metrics = metrics
        self.stopping = False
        self._wake = threading.Event()
        slot = RaySlot if settings.executor == "ray" else WorkerSlot
        self.slots = [slot(i, self) for i in range(settings.workers)]
        self._ray: RayExecutor | None = None
        self._ray_lock = threading.Lock()
        self._dispatcher = threading.Thread(target=self._dispatch, daemon=True, name="dispatch")

    @property
    def size(self) -> int:
        return len(self.slots)

    def ray(self) -> RayExecutor:
        """The Ray connection of the pool (RaySlot), started by the first slot to ask."""
        with self._ray_lock:
            if self._ray is None:
                from optimizer.run.executor import RayExecutor

                self._ray = RayExecutor(workers=self.size)
            return self._ray

    def start(self) -> None:
        for slot in self.slots:
            slot.thread.start()
        self._dispatcher.start()

    def wake(self) -> None:
        """Look at the queue now (after a submit or when a slot frees up)."""
        self._wake.set()

    def alive(self) -> int:
        """Worker processes up and warm now."""
        return sum(slot.alive() for slot in self.slots)

    def serving(self) -> int:
        """Slots that can take work: warm, or replacing a process that was (readiness)."""
        return sum(slot.serving() for slot in self.slots)

    def running(self) -> int:
        return sum(slot.busy for slot in self.slots)

    def cancel(self, job_id: str) -> bool:
        """Stop the job's solve if it runs here (the process is killed)."""
        return any(slot.cancel(job_id) for slot in self.slots)

    def observe(self, outcome: str, seconds: float) -> None:
        if self.metrics is not None:
            self.metrics.solve_seconds.labels(outcome=outcome).observe(seconds)

    def _dispatch(self) -> None:
        while not self.stopping:
            self._wake.wait(timeout=1.0)
            self._wake.clear()
            while not self.stopping:
                slot = next((s for s in self.slots if not s.busy), None)
                if slot is None:
                    break
                try:
                    claim = self.store.claim_next()
                except Exception:
                    log.exception("could not claim a job")
                    break
                if claim is None:
                    break
                slot.assign(claim)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop dispatching, kill the workers, put their running jobs back in the queue."""
        self.stopping = True
        self._wake.set()
        for slot in self.slots:
            slot.stop()
        for slot in self.slots:
            slot.thread.join(timeout)
        self._dispatcher.join(timeout)
        # A job the dispatcher claimed as the slots stopped (assigned after the slot's
        # thread had taken its stop signal), or whose slot did not stop in time, is
        # still running in the database: put it back too, or it waits for a restart's
        # recovery, which counts the attempt. Releasing is a no-op on a job no longer
        # running.
        for slot in self.slots:
            job_id = slot.current
            if job_id is not None:
                try:
                    self.store.release(job_id)
                except Exception:
                    log.exception("could not put job %s back in the queue", job_id)
        if self._ray is not None:
            self._ray.close()
