"""Comparing the fixed-point topology of networks (Fig. 1f, 2e, 3d)."""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment


def snap(readouts: np.ndarray, grid) -> np.ndarray:
    """Each entry of ``readouts (M, n_out)`` replaced by the nearest value of ``grid``
    (e.g. the flip-flop's −1, 0, +1); unchanged when ``grid`` is None."""
    readouts = np.asarray(readouts, np.float64)
    if grid is None:
        return readouts
    grid = np.asarray(grid, np.float64)
    return grid[np.argmin(np.abs(readouts[..., None] - grid), axis=-1)]


def readout_order(readouts: np.ndarray, grid=None, decimals: int = 3) -> np.ndarray:
    """Permutation sorting fixed points lexicographically by their readout ``(M, n_out)``
    (first output first; the paper's ordering). With ``grid`` the readouts are first
    snapped to it (:func:`snap`), so readouts equal up to precision share a key and
    noise cannot swap them; ties are broken by the readouts rounded to ``decimals``."""
    readouts = np.asarray(readouts)
    keys = np.concatenate([snap(readouts, grid), np.round(readouts, decimals)], axis=1) if len(readouts) else readouts
    return np.lexsort(keys.T[::-1])


def graph_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Euclidean distance between two equally ordered graph matrices (the paper's measure)."""
    if a.shape != b.shape:
        raise ValueError(f"graphs must have the same shape, got {a.shape} and {b.shape}; "
                         "use matched_graph_distance for differing fixed-point counts")
    return float(np.linalg.norm(a - b))


def matched_graph_distance(a: np.ndarray, nodes_a: np.ndarray, b: np.ndarray, nodes_b: np.ndarray,
                           *, unmatched_cost: float = 1.0) -> float:
    """A graph distance that works when the fixed-point counts differ.

    The nodes (fixed points, described by ``nodes (M, d)``, e.g. their readouts) are
    matched by the Hungarian algorithm on node distance, each graph padded with
    dummy nodes that cost ``unmatched_cost`` to match; the result is
    ``‖A − P B Pᵀ‖_F`` over the padded graphs plus the matched node distances, so a
    missing fixed point costs its edges and its node. Zero iff the graphs are equal
    up to a relabelling of their nodes; with equal counts and a readout-consistent
    labelling it reduces to :func:`graph_distance` plus the node term.
    """
    m, k = len(a), len(b)
    size = m + k
    cost = np.full((size, size), unmatched_cost)
    cost[:m, :k] = np.linalg.norm(nodes_a[:, None, :] - nodes_b[None, :, :], axis=-1)
    cost[m:, k:] = 0.0  # dummy to dummy is free
    rows, cols = linear_sum_assignment(cost)
    A, B = np.zeros((size, size)), np.zeros((size, size))
    A[:m, :m], B[:k, :k] = a, b
    permuted = B[np.ix_(cols, cols)]  # node rows[i] of A is matched to node cols[i] of B
    return float(np.linalg.norm(A - permuted) + cost[rows, cols].sum())


def nearest_neighbour_graph(points: np.ndarray) -> np.ndarray:
    """Symmetric adjacency ``(M, M)`` linking each point to its nearest neighbour."""
    points = np.asarray(points)
    distance = np.linalg.norm(points[:, None] - points[None], axis=-1)
    np.fill_diagonal(distance, np.inf)
    adjacency = np.zeros_like(distance)
    if len(points) > 1:
        nearest = np.argmin(distance, axis=1)
        adjacency[np.arange(len(points)), nearest] = 1.0
    return np.maximum(adjacency, adjacency.T)
