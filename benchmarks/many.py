"""Many counties at once: ``solve-many`` on local processes and on Ray.

Generates ``--counties`` counties (villages spread evenly over 60–400, seeds 1, 2, …),
then plans all of them with ``optimizer.run.many.solve_many`` (``--limit`` seconds each,
default options, no reports) three ways: local, one process (sequential); local, two
processes; Ray embedded on this machine with 2 CPUs. For each: wall time from creating
the executor to its shutdown, the sum of the tasks' own solve times, the ideal (that sum
/ workers + start-up), the overhead per task ((wall − start-up − sum / workers) / tasks),
the executor's start-up, a no-op task's round trip (median of 20, one at a time, with the
shared matrices of the largest county as argument) and the peak memory of this process
and all it started (PSS, sampled every 0.2 s).

    flock /work/bench.lock nice -n 5 python benchmarks/many.py [--counties 20] [--limit 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.tables import Run, write  # noqa: E402
from optimizer.network import TravelMatrices, travel_matrices  # noqa: E402
from optimizer.run.executor import Executor, LocalExecutor, RayExecutor, Task  # noqa: E402
from optimizer.run.many import Options, solve_many  # noqa: E402
from scenarios.generate import generate_county, write_batch  # noqa: E402

COLUMNS = {
    "mode": "mode",
    "tasks": "tasks",
    "ok": "planned",
    "wall_s": "wall s",
    "solve_sum_s": "Σ task solve s",
    "ideal_s": "ideal s",
    "vs_ideal": "wall / ideal",
    "startup_s": "start-up s",
    "overhead_per_task_s": "overhead per task s",
    "noop_ms": "no-op task round trip ms",
    "peak_mib": "peak memory MiB (PSS, all processes)",
}


def _tree(root: int) -> list[int]:
    """``root`` and every process below it."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            parents.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += parents.get(pid, [])
    return out


def _pss_mib(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


class PeakMemory:
    """The peak PSS of this process and its descendants, sampled in a thread."""

    def __init__(self, every_s: float = 0.2) -> None:
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(every_s,), daemon=True)

    def _run(self, every_s: float) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _pss_mib(_tree(os.getpid())))
            self._stop.wait(every_s)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _noop_ms(executor: Executor, shared: object) -> float:
    """Median round trip of a task that does nothing with the shared matrices."""
    times = []
    for i in range(20):
        started = time.perf_counter()
        list(executor.run([Task(f"noop{i}", id, (shared,))]))
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def run_mode(name: str, make, workers: int, files: list[Path], limit: float, out: Path) -> dict:
    with PeakMemory() as memory:
        started = time.perf_counter()
        executor = make()
        startup = time.perf_counter() - started
        rows = solve_many(files, executor, Options(out / name, limit, report=False))
        wall = time.perf_counter() - started
        largest = travel_matrices(generate_county(400, 1))
        noop = _noop_ms(
            executor, executor.share(TravelMatrices(largest.site_ids, largest.km, largest.minutes))
        )
        executor.close()
    solve_sum = sum(r.wall_s or 0.0 for r in rows)
    ideal = solve_sum / workers + startup
    row = {
        "mode": name,
        "tasks": len(rows),
        "ok": sum(r.status in ("ok", "unserved") for r in rows),
        "wall_s": round(wall, 1),
        "solve_sum_s": round(solve_sum, 1),
        "ideal_s": round(ideal, 1),
        "vs_ideal": round(wall / ideal, 3),
        "startup_s": round(startup, 2),
        "overhead_per_task_s": round((wall - startup - solve_sum / workers) / len(rows), 2),
        "noop_ms": round(noop, 1),
        "peak_mib": round(memory.peak),
    }
    print(row, flush=True)
    return row


def main(argv: list[str] | None = None) -> Path:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--counties", type=int, default=20)
    ap.add_argument("--limit", type=float, default=10.0)
    ap.add_argument("--modes", nargs="+", default=["local-1", "local-2", "ray-2"])
    args = ap.parse_args(argv)
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    run = Run("benchmarks/many.py", argv)
    makers = {
        "local-1": (lambda: LocalExecutor(1), 1),
        "local-2": (lambda: LocalExecutor(2), 2),
        "ray-2": (lambda: RayExecutor(workers=2), 2),
    }
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        n = args.counties
        sizes = [round(60 + (400 - 60) * i / max(1, n - 1)) for i in range(n)]
        files = [
            write_batch(generate_county(v, i + 1), folder / f"county-{i + 1:02d}-{v}.json")
            for i, v in enumerate(sizes)
        ]
        rows = [
            run_mode(mode, *makers[mode], files, args.limit, folder / "out") for mode in args.modes
        ]
    header = run.header(
        f"Many counties: {args.counties} generated counties at {args.limit:g} s each",
        [
            f"- Counties: villages {sizes[0]}–{sizes[-1]} evenly spread, seeds 1–{n}; "
            "`solve_many` with each batch's options (baseline on), no reports.",
            "- wall: creating the executor to its shutdown (start-up included); ideal: the "
            "tasks' own solve times summed / workers + start-up; overhead per task: (wall − "
            "start-up − Σ / workers) / tasks (reading the files, building matrices, sending "
            "tasks and plans, writing plan.json/.geojson, idle workers at the end).",
            "- no-op round trip: one task at a time taking the 400-village county's shared "
            "matrices (median of 20); peak memory: PSS of this process and every process it "
            "started (Ray's GCS, raylet and workers included), sampled every 0.2 s.",
        ],
    )
    return write("many", rows, COLUMNS, header)


if __name__ == "__main__":
    main()
