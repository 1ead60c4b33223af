"""Contraction-hierarchy road matrices against scipy Dijkstra: graphs, networks, cache."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra
from test_network_matrix import (
    ORIGIN,
    _random_case,
    _site,
    _two_islands,
    _write,
)

from optimizer.network import chmatrix, chrounds
from optimizer.network.ch import Hierarchy, build_hierarchy, many_to_many
from optimizer.network.errors import RoadNetworkError
from optimizer.network.matrix import SHIFT, ch_matrices, road_matrices
from optimizer.network.spec import RoadNetworkTravel


@pytest.fixture(autouse=True)
def _cache_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setenv("FRESHROUTE_CACHE_DIR", str(tmp_path / "cache"))


def _random_graph(seed: int, k: int = 14):
    """A k×k grid, 20 % one-way streets, a one-way-only corner (unreachable from the rest)
    and packed integer weights with many equal times (ties broken by km)."""
    rng = np.random.default_rng(seed)
    idx = np.arange(k * k).reshape(k, k)
    a = np.r_[idx[:, :-1].ravel(), idx[:-1, :].ravel()]
    b = np.r_[idx[:, 1:].ravel(), idx[1:, :].ravel()]
    one = rng.random(len(a)) < 0.2
    src, dst = np.r_[a, b[~one]], np.r_[b, a[~one]]
    # node 0's arcs all point away from it: nobody reaches node 0
    into0 = dst == 0
    src, dst = src[~into0], dst[~into0]
    # plus an island of three nodes joined to nothing
    src, dst = np.r_[src, k * k, k * k + 1], np.r_[dst, k * k + 1, k * k + 2]
    minutes = rng.integers(1, 6, len(src)).astype(float)  # few values: many equal times
    km = rng.integers(1, 1000, len(src)).astype(float)
    return k * k + 3, src, dst, minutes * SHIFT + km


def _dijkstra(n, src, dst, w, sources):
    order = np.lexsort((w, dst, src))  # scipy sums duplicate arcs: keep the lightest
    src, dst, w = src[order], dst[order], w[order]
    first = np.r_[True, (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])]
    graph = csr_array((w[first], (src[first], dst[first])), shape=(n, n))
    return dijkstra(graph, indices=sources)


@pytest.mark.parametrize("rounds", [True, False])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_many_to_many_equals_dijkstra_bit_for_bit(seed, rounds, monkeypatch):
    """Both builds: in rounds of independent nodes (threads) and one node at a time."""
    monkeypatch.setattr(chrounds, "_SERIAL_BELOW", 1)  # threads even on small rounds
    n, src, dst, w = _random_graph(seed)
    # a parallel arc and a self-loop must not confuse the build
    src, dst, w = np.r_[src, src[0], 5], np.r_[dst, dst[0], 5], np.r_[w, w[0] + SHIFT, 1.0]
    h = build_hierarchy(n, src, dst, w, rounds=rounds, threads=2)
    nodes = np.arange(n)
    ptr = np.arange(n + 1)
    want = _dijkstra(n, src, dst, w, nodes)
    for threads in (1, 3):
        got = many_to_many(
            h, ptr, nodes, np.zeros(n), ptr, nodes, np.zeros(n), batch=7, threads=threads
        )
        np.testing.assert_array_equal(got, want)  # minutes and km of the same path, exactly
    assert np.isinf(got[:, 0]).sum() == n - 1 and np.isinf(got[n - 3 :, : n - 3]).all()
    assert all(np.all(h.rank[h.fwd_to[h.fwd_ptr[v] : h.fwd_ptr[v + 1]]] > h.rank[v]) for v in nodes)
    assert all(np.all(h.rank[h.bwd_to[h.bwd_ptr[v] : h.bwd_ptr[v + 1]]] > h.rank[v]) for v in nodes)
    assert sorted(h.rank) == list(range(n))


def test_hierarchy_does_not_depend_on_the_build_threads(monkeypatch):
    monkeypatch.setattr(chrounds, "_SERIAL_BELOW", 1)  # every round split over the threads
    n, src, dst, w = _random_graph(3, k=20)
    one = build_hierarchy(n, src, dst, w, threads=1).arrays()
    for threads in (2, 5):
        other = build_hierarchy(n, src, dst, w, threads=threads).arrays()
        for name, values in one.items():
            np.testing.assert_array_equal(other[name], values, err_msg=name)


def test_several_entries_and_exits_with_offsets():
    n, src, dst, w = _random_graph(5)
    h = build_hierarchy(n, src, dst, w)
    rng = np.random.default_rng(5)
    full = _dijkstra(n, src, dst, w, np.arange(n))
    # source i leaves from 2 nodes after offsets; target j is reached at 1 or 2 nodes
    s_node = rng.integers(0, n, (6, 2))
    s_off = rng.integers(0, 5, (6, 2)) * SHIFT
    t_node = rng.integers(0, n, (5, 2))
    t_off = rng.integers(0, 5, (5, 2)) * SHIFT
    got = many_to_many(
        h,
        np.arange(0, 13, 2),
        s_node.ravel(),
        s_off.ravel(),
        np.r_[0, 1, 3, 5, 7, 9],  # target 0 has one exit (its first)
        np.r_[t_node[0, :1], t_node[1:].ravel()],
        np.r_[t_off[0, :1], t_off[1:].ravel()],
    )
    for i in range(6):
        for j in range(5):
            exits = range(1) if j == 0 else range(2)
            want = min(
                s_off[i, a] + full[s_node[i, a], t_node[j, b]] + t_off[j, b]
                for a in range(2)
                for b in exits
            )
            assert got[i, j] == want


def _sites(rng, count):
    xy = ORIGIN + rng.uniform(0, 4000, size=(count, 2))
    return [(f"s{i}", *_site(p)) for i, p in enumerate(xy)]


def _agree(ch, dj):
    """Minutes within a few quanta; km equal unless another path is as fast (a near tie:
    then the km of either, so only checked against the near-tie set's spread)."""
    np.testing.assert_allclose(ch.minutes, dj.minutes, rtol=0, atol=1e-4)
    np.testing.assert_allclose(ch.km, dj.km, rtol=0, atol=1e-4)


@pytest.mark.parametrize("seed", [6, 7, 8])
def test_ch_method_equals_dijkstra_method(tmp_path, seed):
    _, _, lines, cls, oneway, rng = _random_case(seed)
    path = _write(tmp_path, lines, cls, oneway)
    sites = _sites(rng, 40)
    spec = RoadNetworkTravel(mode="road_network", path=path.name)
    ch = road_matrices(sites, spec, tmp_path, method="ch", use_cache=False)
    dj = road_matrices(sites, spec, tmp_path, method="dijkstra", use_cache=False)
    _agree(ch, dj)
    assert not np.allclose(ch.minutes, ch.minutes.T)  # one-way lines matter
    assert ch.warnings == dj.warnings and ch.far_sites == dj.far_sites
    np.testing.assert_array_equal(ch.access_km, dj.access_km)
    # the leg geometry of a ch matrix follows the same path length
    leg = ch.route_lonlat([("s0", "s1")])[0]
    assert leg.shape[1] == 2 and len(leg) >= 2


def test_unreachable_sites_named_by_the_ch_method(tmp_path):
    sites = [
        ("farm-1", *_site(ORIGIN + np.array([500.0, 10.0]))),
        ("farm-2", *_site(ORIGIN + np.array([600.0, 10.0]))),
        ("island-9", *_site(ORIGIN + np.array([500.0, 5010.0]))),
    ]
    spec = RoadNetworkTravel(mode="road_network", path="unused.geojson")
    with pytest.raises(RoadNetworkError, match="no road path") as err:
        ch_matrices(sites, spec, tmp_path, None, {}, network=_two_islands())
    assert "island-9" in str(err.value) and "farm-1 → island-9" in str(err.value)


def test_hierarchy_is_cached_per_network_and_reused(tmp_path, monkeypatch):
    _, _, lines, cls, oneway, rng = _random_case(9)
    path = _write(tmp_path, lines, cls, oneway)
    spec = RoadNetworkTravel(mode="road_network", path=path.name)
    first = road_matrices(_sites(rng, 20), spec, tmp_path)
    assert first.timings["hierarchy_cached"] == 0.0
    assert len(list((tmp_path / "cache").glob("ch-*.npz"))) == 1

    def no_build(*_a, **_k):
        raise AssertionError("the hierarchy was rebuilt")

    build = chmatrix.build_hierarchy
    monkeypatch.setattr(chmatrix, "build_hierarchy", no_build)
    other_sites = _sites(rng, 25)  # other sites, other access speed: same hierarchy
    again = road_matrices(other_sites, spec.model_copy(update={"access_speed_kmh": 10}), tmp_path)
    assert again.timings["hierarchy_cached"] == 1.0 and not again.from_cache
    monkeypatch.setattr(chmatrix, "build_hierarchy", build)
    fresh = road_matrices(
        other_sites, spec.model_copy(update={"access_speed_kmh": 10}), tmp_path, use_cache=False
    )
    np.testing.assert_array_equal(again.minutes, fresh.minutes)
    np.testing.assert_array_equal(again.km, fresh.km)
    # the cached arrays are the hierarchy this network builds
    hit = chmatrix.cache.load_entry(next((tmp_path / "cache").glob("ch-*.npz")).stem)
    built = chmatrix.build_network_hierarchy(fresh.router().network)[1]
    for name, arr in built.arrays().items():
        np.testing.assert_array_equal(Hierarchy.from_arrays(hit).arrays()[name], arr)


def test_new_speeds_and_closed_road_match_dijkstra_on_the_changed_network(tmp_path):
    _, ends, lines, cls, oneway, rng = _random_case(10)
    path = _write(tmp_path, lines, cls, oneway)
    sites = _sites(rng, 30)
    spec = RoadNetworkTravel(mode="road_network", path=path.name)
    before = road_matrices(sites, spec, tmp_path)
    faster = spec.model_copy(update={"speeds_kmh": {"village": 60.0, "track": 50.0}})
    ch = road_matrices(sites, faster, tmp_path)
    assert ch.timings["hierarchy_cached"] == 0.0  # new speeds: a new hierarchy
    _agree(ch, road_matrices(sites, faster, tmp_path, method="dijkstra"))
    assert (ch.minutes < before.minutes - 1e-6).any()
    # close the busiest line (edge betweenness) that no site is snapped to
    g = nx.Graph()
    for k, (a, b) in enumerate(ends):
        g.add_edge(int(a), int(b), line=k)
    snapped = set(before.router().snapped.line.tolist())
    busy = sorted(nx.edge_betweenness_centrality(g).items(), key=lambda kv: -kv[1])
    shut = next(g.edges[e]["line"] for e, _ in busy if g.edges[e]["line"] not in snapped)
    keep = [i for i in range(len(lines)) if i != shut]
    closed = _write(
        tmp_path,
        [lines[i] for i in keep],
        [cls[i] for i in keep],
        [oneway[i] for i in keep],
        name="closed.geojson",
    )
    spec_closed = spec.model_copy(update={"path": closed.name})
    ch = road_matrices(sites, spec_closed, tmp_path)
    assert ch.timings["hierarchy_cached"] == 0.0
    _agree(ch, road_matrices(sites, spec_closed, tmp_path, method="dijkstra"))
    assert (np.abs(ch.minutes - before.minutes) > 1e-6).any()


def test_unknown_method_is_refused(tmp_path):
    _, _, lines, cls, oneway, rng = _random_case(1)
    path = _write(tmp_path, lines, cls, oneway)
    spec = RoadNetworkTravel(mode="road_network", path=path.name)
    with pytest.raises(RoadNetworkError, match="unknown matrix method 'fast'"):
        road_matrices(_sites(rng, 3), spec, tmp_path, method="fast")
