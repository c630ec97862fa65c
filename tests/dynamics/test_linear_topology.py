import itertools

import numpy as np
import pytest

from rnnpop.dynamics import (count_near_one, eigen_decomposition, graph_distance, matched_graph_distance,
                             mode_zeroing_integration, nearest_neighbour_graph, oscillation_frequency,
                             readout_order, snap)


def rotation(theta, radius=1.0):
    return radius * np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])


def test_oscillation_frequency_is_the_angle_of_the_leading_complex_pair():
    J = np.zeros((3, 3))
    J[:2, :2] = rotation(0.4, 1.02)
    J[2, 2] = 0.5
    values, _, _ = eigen_decomposition(J[None])
    assert oscillation_frequency(values)[0] == pytest.approx(0.4, rel=1e-12)
    assert np.isnan(oscillation_frequency(np.array([[0.9, 0.5]]))[0])


def test_count_near_one():
    assert count_near_one(np.array([[1.0, 0.97, 0.94, 1.04 + 0.01j]])).tolist() == [3]


def test_mode_zeroing_of_a_perfect_integrator_needs_one_mode():
    # one integrating mode (λ = 1) along a non-orthogonal direction, others decay fast
    rng = np.random.default_rng(0)
    R = np.linalg.qr(rng.normal(size=(4, 4)))[0] + 0.3 * rng.normal(size=(4, 4))
    lam = np.array([1.0, 0.5, 0.3, 0.1])
    J = R @ np.diag(lam) @ np.linalg.inv(R)
    b, w = rng.normal(size=4), rng.normal(size=4)
    values, right, left = eigen_decomposition(J[None])
    curve = mode_zeroing_integration(values[0], right[0], left[0], b, w, n_steps=100)
    full = w @ np.linalg.matrix_power(J, 100) @ b
    assert curve[-1] == pytest.approx(full, rel=1e-9)
    assert curve[1] == pytest.approx(full, rel=1e-9)  # the one λ=1 mode carries it all
    assert curve[0] == 0.0


def test_readout_order_is_lexicographic():
    readouts = np.array([[1, -1], [-1, 1], [-1, -1], [1, 1]], float)
    order = readout_order(readouts + 1e-6 * np.random.default_rng(0).normal(size=(4, 2)))
    np.testing.assert_array_equal(readouts[order], [[-1, -1], [-1, 1], [1, -1], [1, 1]])


def test_matched_distance_is_zero_under_relabelling_and_charges_missing_points():
    rng = np.random.default_rng(1)
    A = rng.random((4, 4))
    A /= A.sum(1, keepdims=True)
    nodes = rng.normal(size=(4, 3))
    perm = np.array([2, 0, 3, 1])
    B, nodes_b = A[np.ix_(perm, perm)], nodes[perm]
    assert matched_graph_distance(A, nodes, B, nodes_b) == pytest.approx(0.0, abs=1e-12)
    assert graph_distance(A, B) > 0  # the paper's measure needs a consistent labelling
    # drop node 3: its edges and one unmatched node are charged
    keep = [0, 1, 2]
    d = matched_graph_distance(A, nodes, A[np.ix_(keep, keep)], nodes[keep], unmatched_cost=0.7)
    edges = np.sqrt(np.sum(A[3, :] ** 2) + np.sum(A[:3, 3] ** 2))
    assert d == pytest.approx(edges + 0.7, rel=1e-9)
    with pytest.raises(ValueError, match="matched_graph_distance"):
        graph_distance(A, A[:3, :3])


def test_nearest_neighbour_graph_of_points_on_a_line_is_a_chain():
    points = np.array([[0.0], [1.0], [2.1], [3.3]])
    G = nearest_neighbour_graph(points)
    expected = np.zeros((4, 4))
    for i in range(3):
        expected[i, i + 1] = expected[i + 1, i] = 1
    np.testing.assert_array_equal(G, expected)


def flipflop_like(seed, noise):
    """27 fixed points with readouts near {-1, 0, 1}^3 (noise added), shuffled, and a
    transition graph defined on the noise-free readouts (each point's edges go to the
    corners its zero coordinates can fall to)."""
    rng = np.random.default_rng(seed)
    clean = np.array(list(itertools.product([-1.0, 0.0, 1.0], repeat=3)))
    graph = np.zeros((27, 27))
    for i, r in enumerate(clean):
        targets = [j for j, c in enumerate(clean) if np.all(c != 0) and np.all((r == 0) | (r == c))]
        graph[i, targets] = 1.0 / len(targets)
    perm = rng.permutation(27)
    return clean[perm] + noise * rng.normal(size=(27, 3)), graph[np.ix_(perm, perm)]


def test_identical_topologies_with_perturbed_readouts_have_distance_zero():
    ordered = []
    for seed in range(4):
        readouts, graph = flipflop_like(seed, noise=0.05)
        order = readout_order(readouts, grid=(-1.0, 0.0, 1.0))
        ordered.append((graph[np.ix_(order, order)], snap(readouts[order], (-1.0, 0.0, 1.0))))
    for graph, nodes in ordered[1:]:
        assert graph_distance(ordered[0][0], graph) == 0.0
        assert matched_graph_distance(ordered[0][0], ordered[0][1], graph, nodes) == 0.0
    # ordered by the raw readouts instead, noise of this size reorders the saddles near 0
    raw = [flipflop_like(seed, noise=0.05) for seed in range(4)]
    raw_graphs = [g[np.ix_(o, o)] for (r, g), o in ((x, readout_order(x[0])) for x in raw)]
    assert max(graph_distance(raw_graphs[0], g) for g in raw_graphs[1:]) > 0


def test_snap_to_the_nearest_grid_value():
    np.testing.assert_array_equal(snap(np.array([[0.4, -0.6, 0.51, 3.0]]), (-1.0, 0.0, 1.0)), [[0, -1, 1, 1]])
    np.testing.assert_array_equal(snap(np.array([[0.4]]), None), [[0.4]])
