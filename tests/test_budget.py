"""Time budgets by measured progress: a stalled search gives its time back."""

from __future__ import annotations

import math

import pytest

from optimizer.routing import budget
from optimizer.routing.budget import Stall


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [100.0]
    monkeypatch.setattr(budget.time, "perf_counter", lambda: now[0])
    return now


def test_stall_stops_once_idle_longer_than_it_took_to_improve(clock: list[float]) -> None:
    stop = Stall(deadline=200.0, patience=1.0, min_s=1.0)
    assert not stop(math.inf)  # no solution yet: never stalled
    clock[0] = 104.0
    assert not stop(50.0)  # best after 4 s
    clock[0] = 107.9
    assert not stop(50.0)  # idle 3.9 s < 4 s
    clock[0] = 108.5
    assert stop(49.9999)  # an improvement below STALL_REL does not count: stalled
    assert stop.stalled


def test_stall_keeps_going_while_improving_and_stops_at_the_deadline(clock: list[float]) -> None:
    stop = Stall(deadline=110.0, patience=1.0)
    for k in range(1, 10):
        clock[0] = 100.0 + k
        assert not stop(100.0 - k)
    clock[0] = 110.0
    assert stop(50.0)
    assert not stop.stalled


def test_without_patience_only_the_deadline_counts(clock: list[float]) -> None:
    stop = Stall(deadline=150.0, patience=None)
    stop(10.0)
    clock[0] = 149.0
    assert not stop(10.0)
    clock[0] = 150.0
    assert stop(10.0)
