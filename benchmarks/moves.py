"""Moves evaluated per second by the segment layer (``optimizer/routing/search/segments.py``).

A county day is solved briefly by PyVRP; then every or-opt and 2-opt move of every
trip of every route is priced (a) on segments in compiled code, O(1) a move from
range segments built once per trip (how polishing ranks moves), and (b) by walking
each moved route node by node (also compiled; the O(n) baseline). One core.

    python benchmarks/moves.py [--villages 300] [--seconds 5] [--seed 1]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from benchmarks.tables import Run, write  # noqa: E402
from optimizer.routing.problem import compile_problem  # noqa: E402
from optimizer.routing.pyvrp_engine import solve_pyvrp  # noqa: E402
from optimizer.routing.search.segments import SegmentData, trip_move_costs  # noqa: E402
from optimizer.routing.search.trips import move_sequence, stop_ranges, trip_ranges  # noqa: E402
from scenarios.generate import generate_county, with_fuel_rates  # noqa: E402

COLUMNS = {
    "villages": "villages",
    "method": "method",
    "trips": "trips",
    "moves": "moves evaluated",
    "seconds": "s",
    "per_s": "moves per second",
}


def main(argv: list[str] | None = None) -> Path:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--villages", type=int, nargs="+", default=[150, 300])
    ap.add_argument("--seconds", type=float, default=3.0, help="timing per method")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    run = Run("benchmarks/moves.py", argv)
    rows = []
    for villages in args.villages:
        problem = compile_problem(with_fuel_rates(generate_county(villages, args.seed)))
        routes = solve_pyvrp(problem, 5.0, args.seed).routes
        data = SegmentData.of(problem)
        trips = [
            (r.vehicle, r.nodes, stop_ranges(problem, r.nodes, lo, hi))
            for r in routes
            for lo, hi in trip_ranges(problem, r.nodes)
        ]
        trips = [t for t in trips if len(t[2]) >= 2]
        trip_move_costs(data, *trips[0])  # compile before timing
        data.route_cost(trips[0][0], trips[0][1])
        for method in ("segments O(1)", "route walk O(n)"):
            moves, started = 0, time.perf_counter()
            while time.perf_counter() - started < args.seconds:
                for vehicle, nodes, stops in trips:
                    if method == "segments O(1)":
                        moves += len(trip_move_costs(data, vehicle, nodes, stops))
                    else:
                        m = len(stops)
                        count = m * (m - 1) + (m - 1) * m // 2
                        for c in range(count):
                            data.route_cost(vehicle, move_sequence(nodes, stops, c))
                        moves += count
            seconds = time.perf_counter() - started
            rows.append(
                {
                    "villages": villages,
                    "method": method,
                    "trips": len(trips),
                    "moves": moves,
                    "seconds": round(seconds, 2),
                    "per_s": int(moves / seconds),
                }
            )
            print(rows[-1], flush=True)
        stops_per_trip = np.mean([len(t[2]) for t in trips])
        print(f"{villages} villages: {stops_per_trip:.1f} stops per trip", flush=True)
    header = run.header(
        "Moves evaluated per second: segments against route walks",
        [
            "- Counties: `with_fuel_rates(generate_county(villages, seed))`, routes from PyVRP "
            "(5 s); every or-opt and 2-opt move of every trip, priced with km, "
            "load-dependent fuel and paid time (departure as late as windows allow).",
            "- segments O(1): `segments.trip_move_costs` (compiled, range segments built once "
            "per trip); route walk O(n): the moved route built in Python and walked by the "
            "compiled `SegmentData.route_cost`.",
        ],
    )
    return write("moves", rows, COLUMNS, header)


if __name__ == "__main__":
    main()
