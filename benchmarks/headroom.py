"""How much a longer search finds below PyVRP alone at the benchmark's limit: is a
target such as "0.97 of the better engine alone" within reach on a family at all?

For each family × seed of ``benchmarks/families.py``, PyVRP alone (on freshroute's node
model, plan validated as it is, one core) runs at the family benchmark's limit and then,
with other seeds, at ``--factor`` times it; the table gives the better long run over the
short one. A ratio near 1 says the short run is close to what search finds there, so a
portfolio cannot be much cheaper than PyVRP alone on that family (a heuristic bound, not
a proof: no lower bound is computed).

    python benchmarks/headroom.py --families 4 8 --stops 60 --seeds 1 2 3 \
        [--factor 3] [--long-seeds 11 12] [--stem headroom]
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.families import family_batch, resolve  # noqa: E402
from benchmarks.portfolio import default_limit  # noqa: E402
from benchmarks.tables import Run, write  # noqa: E402
from optimizer.routing.polish import exact_cost  # noqa: E402
from optimizer.routing.problem import compile_problem  # noqa: E402
from optimizer.routing.pyvrp_engine import solve_pyvrp  # noqa: E402
from optimizer.warm import warm_up  # noqa: E402

COLUMNS = {
    "family": "family",
    "stops": "stops",
    "seed": "seed",
    "short_s": "limit s",
    "short": "PyVRP alone, CNY",
    "long_s": "long s",
    "long": "long runs, CNY (each seed)",
    "ratio": "best long / short",
}


def headroom(family: str, stops: int, seed: int, factor: float, long_seeds: list[int]) -> dict:
    """One family day: PyVRP alone at the limit (batch seed) and at ``factor`` × it."""
    batch = family_batch(family, stops, seed)
    warm_up(batch)
    problem = compile_problem(batch)
    limit = default_limit(stops)
    short = exact_cost(problem, solve_pyvrp(problem, limit, batch.options.seed).routes)
    longs = [
        exact_cost(problem, solve_pyvrp(problem, limit * factor, s).routes) for s in long_seeds
    ]
    return {
        "family": family,
        "stops": stops,
        "seed": seed,
        "short_s": limit,
        "short": round(short, 2),
        "long_s": limit * factor,
        "long": " / ".join(f"{c:.2f}" for c in longs),
        "ratio": round(min(longs) / short, 4),
    }


def main(argv: list[str] | None = None) -> Path:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--families", nargs="+", default=["all"])
    ap.add_argument("--stops", type=int, nargs="+", default=[60])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--factor", type=float, default=3.0)
    ap.add_argument("--long-seeds", type=int, nargs="+", default=[11, 12])
    ap.add_argument("--stem", default="headroom")
    args = ap.parse_args(argv)
    run = Run("benchmarks/headroom.py", argv)
    rows = []
    for family in resolve(args.families):
        for stops in args.stops:
            for seed in args.seeds:
                rows.append(headroom(family, stops, seed, args.factor, args.long_seeds))
                print(rows[-1], flush=True)
    notes = ["- Instances: `benchmarks/families.py`; one core, runs one after the other."]
    for family in dict.fromkeys(r["family"] for r in rows):
        ratios = [r["ratio"] for r in rows if r["family"] == family]
        notes.append(
            f"- {family}: best long / short mean {statistics.mean(ratios):.4f} "
            f"({min(ratios):.4f}–{max(ratios):.4f}, {len(ratios)} seeds)"
        )
    header = run.header("Headroom below PyVRP alone: longer runs, other seeds", notes)
    return write(args.stem, rows, COLUMNS, header)


if __name__ == "__main__":
    print(main())
