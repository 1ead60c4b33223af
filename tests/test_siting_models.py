"""Siting models against brute force over all site subsets on tiny random instances."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest

import optimizer.siting.pmedian as pm_mod
from optimizer.siting import (
    SitingError,
    cflp_heuristic,
    pmedian_heuristic,
    solve_cflp,
    solve_lscp,
    solve_mclp,
    solve_pickup_points,
    solve_pmedian,
    transport,
)


def _instance(seed: int, m: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    sites, pts = rng.uniform(0, 10, (m, 2)), rng.uniform(0, 10, (n, 2))
    dist = np.linalg.norm(sites[:, None] - pts[None], axis=2)
    return np.round(dist, 2), rng.integers(1, 20, n).astype(float)


def _subsets(m: int, sizes, must=(), forbidden=()):
    for k in sizes:
        for s in combinations(range(m), k):
            if set(must) <= set(s) and not set(forbidden) & set(s):
                yield np.array(s)


def _pmedian_brute(c, p, d, must=(), forbidden=(), f=None, budget=None):
    best = np.inf
    for s in _subsets(c.shape[0], [p], must, forbidden):
        if budget is not None and f[s].sum() > budget + 1e-9:
            continue
        best = min(best, float((c[s].min(axis=0) * d).sum()))
    return best


@pytest.mark.parametrize("seed", range(6))
def test_pmedian_matches_brute_force(seed: int) -> None:
    c, d = _instance(seed, 9, 25)
    for p in (1, 2, 4):
        res = solve_pmedian(c, p, d, time_limit=20)
        assert res.is_optimal
        assert res.objective == pytest.approx(_pmedian_brute(c, p, d), rel=1e-9)
        assert res.open_sites.size == p
        # the reported assignment is the nearest open site and reproduces the objective
        assert (c[res.assignment, np.arange(25)] * d).sum() == pytest.approx(res.objective)


def test_pmedian_options_must_forbidden_budget() -> None:
    c, d = _instance(11, 8, 20)
    f = np.arange(1.0, 9.0)
    res = solve_pmedian(c, 3, d, must_open=[7], forbidden=[0, 1], time_limit=20)
    assert 7 in res.open_sites and not {0, 1} & set(res.open_sites.tolist())
    assert res.objective == pytest.approx(_pmedian_brute(c, 3, d, must=[7], forbidden=[0, 1]))
    res = solve_pmedian(c, 3, d, opening_cost=f, budget=9.0, time_limit=20)
    assert f[res.open_sites].sum() <= 9.0
    assert res.objective == pytest.approx(_pmedian_brute(c, 3, d, f=f, budget=9.0))


@pytest.mark.parametrize("seed", range(3))
def test_pmedian_branch_and_reduce_path(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Force the Lagrangian branch-and-reduce (used on big instances) on a small one."""
    monkeypatch.setattr(pm_mod, "LEAF_PAIRS", 0)
    c, d = _instance(100 + seed, 30, 60)
    c = np.round(c * 10)  # integral data: exercises the 'ub - 1' reduction too
    res = solve_pmedian(c, 3, d, time_limit=30)
    assert res.is_optimal
    assert res.objective == pytest.approx(_pmedian_brute(c, 3, d))


@pytest.mark.parametrize("seed", range(8))
def test_pmedian_heuristic_near_exact(seed: int) -> None:
    c, d = _instance(200 + seed, 12, 40)
    exact = solve_pmedian(c, 3, d).objective
    heur = pmedian_heuristic(c, 3, d)
    assert exact - 1e-9 <= heur.objective <= exact * 1.05


def _cflp_brute(a, dem, cap, f, must=(), forbidden=()):
    m = a.shape[0]
    best = np.inf
    for s in _subsets(m, range(1, m + 1), must, forbidden):
        tc, _ = transport(a, dem, cap, s)
        best = min(best, tc + float(f[s].sum()))
    return best


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("reduce", [False, True])
def test_cflp_matches_brute_force(seed: int, reduce: bool) -> None:
    c, dem = _instance(300 + seed, 6, 15)
    rng = np.random.default_rng(seed)
    cap = rng.uniform(0.25, 0.6, 6) * dem.sum()
    f = rng.uniform(20, 80, 6)
    a = c * dem[None, :]
    res = solve_cflp(c, dem, cap, f, reduce=reduce, time_limit=20)
    assert res.is_optimal
    assert res.objective == pytest.approx(_cflp_brute(a, dem, cap, f), rel=1e-7)
    # flows: every demand fully served, capacities respected, closed sites unused
    assert np.allclose(res.flows.sum(axis=0), 1.0)
    assert np.all((res.flows * dem).sum(axis=1) <= cap + 1e-6)
    heur = cflp_heuristic(c, dem, cap, f)
    assert heur.objective >= res.objective - 1e-6
    assert heur.bound <= res.objective + 1e-6


def test_cflp_options() -> None:
    c, dem = _instance(7, 6, 15)
    cap = np.full(6, 0.5 * dem.sum())
    f = np.full(6, 30.0)
    a = c * dem[None, :]
    res = solve_cflp(c, dem, cap, f, must_open=[0], forbidden=[1])
    assert 0 in res.open_sites and 1 not in res.open_sites
    assert res.objective == pytest.approx(_cflp_brute(a, dem, cap, f, must=[0], forbidden=[1]))
    res = solve_cflp(c, dem, cap, f, budget=60.0)
    assert f[res.open_sites].sum() <= 60.0 + 1e-9
    # whole-demand costs (OR-Library convention) give the same optimum
    res2 = solve_cflp(a, dem, cap, f, cost_per_unit=False)
    assert res2.objective == pytest.approx(_cflp_brute(a, dem, cap, f))


@pytest.mark.parametrize("seed", range(6))
def test_cflp_branch_and_bound_equal_capacities(seed: int) -> None:
    """Equal capacities take the exact vectorised cover; zero demand, must/forbidden too."""
    c, dem = _instance(320 + seed, 7, 18)
    dem[seed % 5] = 0.0  # a zero-demand point still needs an open site that reaches it
    cap = np.full(7, (0.2 + 0.05 * seed) * dem.sum())
    f = np.random.default_rng(seed).uniform(10, 90, 7)
    a = c * dem[None, :]
    must, forb = ([seed % 7], [(seed + 3) % 7]) if seed % 2 else ((), ())
    res = solve_cflp(c, dem, cap, f, must_open=list(must), forbidden=list(forb), time_limit=20)
    assert res.is_optimal and res.solver == "lagrangian-bb"
    assert 0 <= res.objective - res.bound <= max(1e-6, 1e-9 * res.objective)  # proven gap
    assert res.objective == pytest.approx(_cflp_brute(a, dem, cap, f, must, forb), rel=1e-7)
    # the reported open sites and flows reproduce the objective
    assert set(must) <= set(res.open_sites.tolist()) and not set(forb) & set(res.open_sites)
    assert np.allclose(res.flows.sum(axis=0), 1.0)
    assert np.all(res.flows[np.setdiff1d(np.arange(7), res.open_sites)] == 0)
    total = (a * res.flows).sum() + f[res.open_sites].sum()
    assert total == pytest.approx(res.objective, rel=1e-9)


@pytest.mark.parametrize("seed", range(3))
def test_cflp_branch_and_bound_agrees_with_scip(seed: int) -> None:
    """Medium instances (too big for brute force): the Lagrangian tree and the strong MIP in
    SCIP prove the same optimum."""
    rng = np.random.default_rng(900 + seed)
    c, dem = _instance(900 + seed, 14, 60)
    cap = (
        np.full(14, 0.15 * dem.sum()) if seed != 1 else rng.uniform(0.1, 0.3, 14) * dem.sum()
    )
    f = rng.uniform(20, 120, 14)
    bb = solve_cflp(c, dem, cap, f, time_limit=30)
    mip = solve_cflp(c, dem, cap, f, time_limit=30, reduce=False)
    assert bb.is_optimal and mip.is_optimal and mip.solver == "scip"
    assert bb.objective == pytest.approx(mip.objective, rel=1e-8)


def test_cflp_infeasible_allocation_is_reported() -> None:
    """Every point alone fits, and total capacity suffices, but points 0 and 1 can only use
    site 0 and together exceed it: no allocation exists, and both paths prove it."""
    c = np.array([[1.0, 1.0, np.inf], [np.inf, np.inf, 1.0]])
    dem, cap, f = np.array([6.0, 6.0, 1.0]), np.array([10.0, 100.0]), np.ones(2)
    for reduce in (True, False):
        res = solve_cflp(c, dem, cap, f, reduce=reduce, time_limit=10)
        assert res.status == "infeasible" and res.flows is None


def test_cflp_failed_lps_prove_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """If every allocation LP fails, the tree closes its leaves unproven: no solution, and
    not 'infeasible'."""
    import optimizer.siting.cflp as cflp_mod

    def fail(*args, **kwargs):
        return cflp_mod._Alloc(np.inf, None, None, False)

    monkeypatch.setattr(cflp_mod, "_allocate", fail)
    c, dem = _instance(5, 5, 12)
    res = solve_cflp(c, dem, np.full(5, 0.4 * dem.sum()), np.full(5, 30.0), time_limit=10)
    assert res.status == "no_solution" and res.flows is None


def test_cflp_time_limit_keeps_the_gap_honest() -> None:
    """Stopped early, the result is 'feasible' (or has no solution) with a bound below the
    proven optimum; it never claims optimality it has not proven."""
    c, dem = _instance(77, 30, 120)
    cap = np.full(30, 0.06 * dem.sum())
    f = np.full(30, 40.0)
    exact = solve_cflp(c, dem, cap, f, time_limit=60)
    assert exact.is_optimal
    quick = solve_cflp(c, dem, cap, f, time_limit=0.01)
    assert quick.bound <= exact.objective + 1e-6
    if quick.status == "optimal":
        assert quick.objective == pytest.approx(exact.objective, rel=1e-9)
    else:
        assert quick.status in ("feasible", "no_solution")
        assert quick.objective >= exact.objective - 1e-6


def test_cflp_probe_matches_cover() -> None:
    """The vectorised forced-open / forced-closed cover values (the branching and fixing
    bounds) equal the plain cover with the site forced, including infeasible cases."""
    from optimizer.siting.cflp import _cover, _probe

    rng = np.random.default_rng(5)
    for _ in range(400):
        k = int(rng.integers(1, 9))
        v = np.round(rng.normal(size=k) * 3, 1)
        lo = rng.random(k) < 0.2
        equal = rng.random() < 0.7
        s = np.full(k, 10.0) if equal else rng.uniform(2, 20, k).round(1)
        need = float(rng.integers(0, 90))
        up, down = _probe(v, s, need, lo)
        for i in range(k):
            forced = lo.copy()
            forced[i] = True
            assert up[i] == pytest.approx(_cover(v, s, need, forced)[0])
            keep = np.arange(k) != i
            want = np.inf if lo[i] else _cover(v[keep], s[keep], need, lo[keep])[0]
            assert down[i] == pytest.approx(want)


@pytest.mark.parametrize("seed", range(4))
def test_mclp_matches_brute_force(seed: int) -> None:
    c, d = _instance(400 + seed, 8, 30)
    radius = 3.0
    cover = c <= radius
    for p in (1, 2, 3):
        brute = max(float(d[cover[s].any(axis=0)].sum()) for s in _subsets(8, [p]))
        res = solve_mclp(c, radius, p, d, skip_uncoverable=True)
        assert res.is_optimal
        assert res.objective == pytest.approx(brute)
    f = np.linspace(1, 4, 8)
    brute = max(
        float(d[cover[s].any(axis=0)].sum())
        for s in _subsets(8, range(1, 9)) if f[s].sum() <= 5.0
    )
    res = solve_mclp(c, radius, demand=d, opening_cost=f, budget=5.0, skip_uncoverable=True)
    assert res.objective == pytest.approx(brute)


@pytest.mark.parametrize("seed", range(4))
def test_pickup_points_lexicographic(seed: int) -> None:
    rng = np.random.default_rng(500 + seed)
    pts = rng.uniform(0, 10, (12, 2))
    dist = np.round(np.linalg.norm(pts[:, None] - pts[None], axis=2), 3)
    kg = rng.uniform(10, 300, 12)
    limit = 3.5
    ok = dist <= limit
    best = None
    for k in range(1, 13):
        vals = [
            float((dist[s].min(axis=0) * kg).sum())
            for s in _subsets(12, [k]) if ok[s].any(axis=0).all()
        ]
        if vals:
            best = (k, min(vals))
            break
    res = solve_pickup_points(dist, kg, limit)
    assert res.is_optimal
    assert res.stats["n_points"] == best[0]
    assert res.objective == pytest.approx(best[1])
    assert np.all(dist[res.assignment, np.arange(12)] <= limit)
    lscp = solve_lscp(dist, limit)
    assert lscp.objective == best[0]


def test_bad_inputs_name_the_sites() -> None:
    c, d = _instance(1, 5, 8)
    with pytest.raises(SitingError, match=r"demand points 3\b"):
        far = c.copy()
        far[:, 3] = 100.0
        solve_mclp(far, 5.0, 2, d)
    with pytest.raises(SitingError, match="demand points 3"):
        solve_pickup_points(far, d, 5.0)
    with pytest.raises(SitingError, match=r"capacity 20 .* below total demand"):
        solve_cflp(c, np.full(8, 10.0), np.full(5, 4.0), np.ones(5))
    with pytest.raises(SitingError, match="p=5 is larger than the 3 allowed"):
        solve_pmedian(c, 5, d, forbidden=[0, 1])
    with pytest.raises(SitingError, match="sites 2 are both must_open and forbidden"):
        solve_pmedian(c, 2, d, must_open=[2], forbidden=[2])
    with pytest.raises(SitingError, match="unknown candidate sites 9"):
        solve_pmedian(c, 2, d, must_open=[9])
    with pytest.raises(SitingError, match="demand points 0, 1"):
        solve_pmedian(np.full((3, 4), np.inf), 1)
    with pytest.raises(SitingError):
        solve_pmedian(c, 2, d[:3])
    assert issubclass(SitingError, ValueError)


@pytest.mark.parametrize("seed", [0, 2, 3])
def test_pickup_points_when_greedy_cannot_cover(seed: int) -> None:
    """Tight limits where the p-median heuristic finds no covering set with the minimum
    number of points: the set-cover solution seeds the incumbent instead."""
    rng = np.random.default_rng(seed)
    pts = rng.uniform(0, 10, (60, 2))
    dist = np.linalg.norm(pts[:, None] - pts[None], axis=2)
    kg = rng.uniform(50, 500, 60)
    res = solve_pickup_points(dist, kg, 2.0)
    k = res.stats["n_points"]
    full = solve_pmedian(dist, k, kg, max_cost=2.0, reduce=False)
    assert res.is_optimal and full.is_optimal
    assert res.objective == pytest.approx(full.objective)
    assert k == solve_lscp(dist, 2.0).objective


def test_result_summary_is_plain_json() -> None:
    import json

    c, d = _instance(3, 5, 9)
    res = solve_pmedian(c, 2, d)
    out = json.loads(json.dumps(res.summary()))
    assert out["status"] == "optimal" and out["gap"] == 0.0
    assert len(out["assignment"]) == 9 and len(out["open_sites"]) == 2
    assert pmedian_heuristic(c, 2, d).summary()["bound"] is None
