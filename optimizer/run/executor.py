"""Executors: one interface mapping independent tasks to workers.

``local`` runs tasks in long-lived spawned processes on this machine (one task per
process at a time, so that a process that dies is known to have been running that task);
``ray`` sends them to Ray: an embedded ``ray.init()`` on this machine by default, or an
existing cluster at ``address`` (``--ray-address`` or ``RAY_ADDRESS``). Ray is imported
here only, lazily, so the rest of the optimizer never needs it.

A task is a module-level function and its arguments. A task whose worker dies, or that
raises, is run once more; after that its outcome carries the error and the other tasks go
on. Tasks that can fail on bad input should return that as a value (it is not retried).
Large inputs shared by several tasks go through ``share`` once (Ray's object store;
locally the value itself, pickled to each process).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import traceback
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

from optimizer.errors import Said

EXECUTORS = ("local", "ray")
MAX_ATTEMPTS = 2  # a task is retried once
_ctx = multiprocessing.get_context("spawn")


@dataclass(frozen=True)
class Task:
    """One unit of work: ``fn(*args)``; ``fn`` must be importable by the workers."""

    key: str
    fn: Callable[..., Any]
    args: tuple = ()


@dataclass
class Outcome:
    """What became of a task: its value, or the error of its last attempt."""

    key: str
    value: Any = None
    error: str | None = None
    attempts: int | None = 1  # None: the executor cannot tell (Ray retries by itself)


class Executor(ABC):
    """Runs independent tasks; ``run`` yields their outcomes as they complete."""

    name: str

    def share(self, value: Any) -> Any:
        """A handle to pass in task arguments for a value several tasks read."""
        return value

    @abstractmethod
    def run(self, tasks: Iterable[Task]) -> Iterator[Outcome]:
        """Run ``tasks`` (drawn as workers can take them, or sent on as they come) and
        yield each one's outcome as it completes."""

    def close(self) -> None:  # noqa: B027  (nothing to release by default)
        """Release the workers."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- local processes -----------------------------------------------------------------------
def _serve(conn: Connection) -> None:
    """A local worker: run tasks from the pipe until told to stop."""
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        fn, args = message
        try:
            reply = ("ok", fn(*args))
        except Exception as e:
            traceback.print_exc()
            reply = ("error", f"{type(e).__name__}: {e}")
        conn.send(reply)


class _Slot:
    """One worker process and the task it runs."""

    def __init__(self) -> None:
        self.conn, child = _ctx.Pipe()
        self.process = _ctx.Process(target=_serve, args=(child,), daemon=True)
        self.process.start()
        child.close()
        self.task: Task | None = None
        self.attempt = 0

    def start(self, task: Task, attempt: int) -> None:
        self.task, self.attempt = task, attempt
        self.conn.send((task.fn, task.args))

    def stop(self) -> None:
        with contextlib.suppress(OSError, BrokenPipeError):
            self.conn.send(None)
        self.process.join(5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5)
        self.conn.close()


class LocalExecutor(Executor):
    """``workers`` spawned processes on this machine; a dead one is replaced."""

    name = "local"

    def __init__(self, workers: int = 1) -> None:
        self.workers = max(1, workers)
        self._slots: list[_Slot] = []

    def _next(self, source: Iterator[Task], retries: list[tuple[Task, int]]) -> tuple | None:
        """The next task and its attempt: a retry first, else the next from ``source``."""
        if retries:
            return retries.pop()
        task = next(source, None)
        return None if task is None else (task, 1)

    def run(self, tasks: Iterable[Task]) -> Iterator[Outcome]:
        source, retries = iter(tasks), []
        while True:
            # Fill idle slots (a process is spawned when a task needs one): tasks are
            # drawn only when a slot can take them, so the caller prepares them lazily.
            while True:
                slot = next((s for s in self._slots if s.task is None), None)
                if slot is None and len(self._slots) >= self.workers:
                    break
                item = self._next(source, retries)
                if item is None:
                    break
                if slot is None:
                    slot = _Slot()
                    self._slots.append(slot)
                slot.start(*item)
            busy = [s for s in self._slots if s.task is not None]
            if not busy:
                return
            ready = wait([s.conn for s in busy] + [s.process.sentinel for s in busy])
            for slot in busy:
                if slot.conn not in ready and slot.process.sentinel not in ready:
                    continue
                task, attempt = slot.task, slot.attempt
                assert task is not None
                reply = None
                with contextlib.suppress(EOFError, OSError):
                    if slot.conn.poll():
                        reply = slot.conn.recv()
                if reply is None:  # the process died in the task: replace it
                    slot.process.join(1)
                    code = slot.process.exitcode
                    slot.stop()
                    self._slots[self._slots.index(slot)] = _Slot()
                    reply = ("error", Said("job.died", code=code))
                else:
                    slot.task = None
                if reply[0] == "error" and attempt < MAX_ATTEMPTS:
                    retries.append((task, attempt + 1))
                    continue
                value, error = (reply[1], None) if reply[0] == "ok" else (None, reply[1])
                yield Outcome(task.key, value, error, attempt)

    def close(self) -> None:
        for slot in self._slots:
            slot.stop()
        self._slots = []


# -- Ray -----------------------------------------------------------------------------------
def _call(fn: Callable[..., Any], *args: Any) -> Any:
    """The Ray task: ``fn(*args)`` (shared handles among ``args`` arrive resolved)."""
    return fn(*args)


class RayExecutor(Executor):
    """Tasks on Ray, one CPU each; Ray retries a task once when it raises or its worker
    dies (``max_retries=1``, ``retry_exceptions=True``)."""

    name = "ray"

    def __init__(self, workers: int | None = None, address: str | None = None) -> None:
        import ray

        self._ray = ray
        self._owned = not ray.is_initialized()
        if self._owned:
            os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
            address = address or os.environ.get("RAY_ADDRESS") or None
            options: dict[str, Any] = {"logging_level": "ERROR", "log_to_driver": False}
            if address:
                ray.init(address=address, **options)
            else:  # embedded on this machine, no dashboard (nothing to reach from outside)
                ray.init(num_cpus=workers or os.cpu_count(), include_dashboard=False, **options)
        self._remote = ray.remote(num_cpus=1, max_retries=MAX_ATTEMPTS - 1, retry_exceptions=True)(
            _call
        )

    def share(self, value: Any) -> Any:
        return self._ray.put(value)

    def run(self, tasks: Iterable[Task]) -> Iterator[Outcome]:
        pending = {self.submit(t): t for t in tasks}  # Ray solves while the rest come
        while pending:
            done, _ = self._ray.wait(list(pending), num_returns=1)
            for ref in done:
                yield self._outcome(pending.pop(ref).key, ref)

    # One task at a time, for a server that follows and cancels each (api/worker.py).
    def submit(self, task: Task) -> Any:
        """Start ``task``; a handle for ``poll`` and ``cancel``."""
        return self._remote.remote(task.fn, *task.args)

    def poll(self, handle: Any, key: str, timeout_s: float) -> Outcome | None:
        """The task's outcome once done, else None after ``timeout_s``."""
        done, _ = self._ray.wait([handle], num_returns=1, timeout=timeout_s)
        return self._outcome(key, handle) if done else None

    def cancel(self, handle: Any) -> None:
        """Stop the task, killing its worker (a solve cannot be interrupted otherwise)."""
        with contextlib.suppress(Exception):
            self._ray.cancel(handle, force=True)

    def _outcome(self, key: str, ref: Any) -> Outcome:
        exceptions = self._ray.exceptions
        try:
            return Outcome(key, self._ray.get(ref), attempts=None)
        except exceptions.RayTaskError as e:
            cause = e.cause if e.cause is not None else e
            return Outcome(key, None, f"{type(cause).__name__}: {cause}", attempts=None)
        except exceptions.RayError as e:  # the worker died on every attempt, or cancelled
            return Outcome(key, None, f"worker died: {type(e).__name__}", attempts=None)

    def close(self) -> None:
        if self._owned and self._ray.is_initialized():
            self._ray.shutdown()


def make_executor(name: str, workers: int | None = None, address: str | None = None) -> Executor:
    """The executor called ``name`` (``local`` or ``ray``)."""
    if name == "local":
        return LocalExecutor(workers or 1)
    if name == "ray":
        try:
            return RayExecutor(workers, address)
        except ImportError:
            raise ValueError(Said("run.needs_ray")) from None
    raise ValueError(Said("run.unknown_executor", name=name, choices=", ".join(EXECUTORS)))
