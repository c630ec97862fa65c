"""Representation dynamics of recurrent vision networks (Thorat, Doerig & Kietzmann, CCN 2023).

Functions of arrays: ``predictions (N, T)`` (class per image and time step),
``labels (N,)``, pooled representations ``h (N, T, D)`` (non-negative) and readout
weights ``W (C, D)`` (one row per class). Definitions follow the authors' code.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy.cluster.hierarchy import linkage
from scipy.spatial.distance import squareform


@dataclasses.dataclass(frozen=True)
class StabilitySplit:
    """Per image: ``t_stable (N,)`` (−1 when unstable), ``stable (N,)``, ``correct (N,)``."""

    t_stable: np.ndarray
    stable: np.ndarray
    correct: np.ndarray

    @property
    def stable_correct(self) -> np.ndarray:
        return self.stable & self.correct


def stability_split(predictions, labels) -> StabilitySplit:
    """Split images by whether their prediction settles.

    ``t_stable`` is the first step of the final constant run of predictions. The image
    is *stable* when that run is at least 2 steps long and its class was not predicted
    before ``t_stable``; it is then *correct* when that class is the label. Otherwise it
    is *unstable* (``t_stable = -1``) and *correct* when the label is predicted at any step.
    """
    predictions, labels = np.asarray(predictions), np.asarray(labels)
    if predictions.ndim != 2 or labels.shape != predictions.shape[:1]:
        raise ValueError(f"predictions must be (N, T) and labels (N,), got {predictions.shape} and {labels.shape}")
    n, T = predictions.shape
    final = predictions[:, -1]
    same = predictions == final[:, None]
    # first step of the final run: one past the last step that differs from the final class
    differs = ~same
    last_diff = np.where(differs.any(axis=1), T - 1 - np.argmax(differs[:, ::-1], axis=1), -1)
    start = last_diff + 1
    long_enough = T - start >= 2
    seen_before = np.array([same[i, : start[i]].any() for i in range(n)], dtype=bool)
    stable = long_enough & ~seen_before
    correct = np.where(stable, final == labels, (predictions == labels[:, None]).any(axis=1))
    return StabilitySplit(np.where(stable, start, -1), stable, correct)


def accuracy_per_step(predictions, labels) -> np.ndarray:
    """Fraction correct at each step, ``(T,)``."""
    return np.mean(np.asarray(predictions) == np.asarray(labels)[:, None], axis=0)


def step_sizes(h) -> np.ndarray:
    """``Δ_t = ‖h_{t+1} − h_t‖``, ``(N, T − 1)``."""
    h = np.asarray(h, np.float64)
    return np.linalg.norm(np.diff(h, axis=1), axis=-1)


def continued_evolution(h, split: StabilitySplit) -> dict[int, np.ndarray]:
    """Mean Δ_t over the stable-correct images, per ``t_stable``: ``{t_stable: (T − 1,)}``.
    (Compare with the same network untrained for the paper's "continued evolution".)"""
    deltas = step_sizes(h)
    sc = split.stable_correct
    return {int(t): deltas[sc & (split.t_stable == t)].mean(axis=0) for t in np.unique(split.t_stable[sc])}


def norms_by_stability(h, split: StabilitySplit) -> tuple[np.ndarray, np.ndarray]:
    """Mean ‖h_t‖ per step over stable-correct images already stable at t
    (``t_stable ≤ t``) and over those that become stable later: ``(T,)`` each
    (NaN where a set is empty)."""
    norms = np.linalg.norm(np.asarray(h, np.float64), axis=-1)
    sc = split.stable_correct
    T = norms.shape[1]
    already, later = np.full(T, np.nan), np.full(T, np.nan)
    for t in range(T):
        a = sc & (split.t_stable <= t)
        b = sc & (split.t_stable > t)
        if a.any():
            already[t] = norms[a, t].mean()
        if b.any():
            later[t] = norms[b, t].mean()
    return already, later


def _cosines(h, W) -> np.ndarray:
    """Cosine between each ``h (N, T, D)`` and each readout vector: ``(N, T, C)``."""
    h = np.asarray(h, np.float64)
    W = np.asarray(W, np.float64)
    hn = h / np.maximum(np.linalg.norm(h, axis=-1, keepdims=True), 1e-12)
    Wn = W / np.maximum(np.linalg.norm(W, axis=-1, keepdims=True), 1e-12)
    return hn @ Wn.T


def winning_cosine(h, W) -> np.ndarray:
    """Cosine between ``h_t`` and the readout vector of its current zone (the class
    with the largest ``w_c · h``), ``(N, T)``: lower = more peripheral."""
    zones = np.argmax(np.asarray(h, np.float64) @ np.asarray(W, np.float64).T, axis=-1)
    return np.take_along_axis(_cosines(h, W), zones[..., None], axis=-1)[..., 0]


def analysed_groups(split: StabilitySplit, min_fraction: float = 0.01) -> np.ndarray:
    """The stable-correct images whose ``t_stable`` group has at least ``min_fraction`` ×
    the images of the t = 0 group (the authors drop smaller groups), ``(N,)`` bool."""
    sc = split.stable_correct
    counts = np.bincount(split.t_stable[sc], minlength=1) if sc.any() else np.zeros(1, int)
    big = counts >= min_fraction * counts[0]
    return sc & big[np.clip(split.t_stable, 0, len(big) - 1)]


def future_class_alignment(h, W, labels, split: StabilitySplit,
                           analysed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The authors' "future class vs others", per pair. At step t, for every pair (i, j)
    of images that will become stable-correct but are not yet stable (both with
    ``t_stable > t``; ``analysed`` (N,) restricts the stable-correct images, e.g. to
    :func:`analysed_groups`), that lie in the same current readout zone and have
    different labels: the cosine of ``h_i,t`` with i's future (true) class vector and with
    j's true class vector. Returns per step ``(T,)`` the mean of each over the pairs and
    the fraction of pairs where the future class is closer (NaN without pairs)."""
    mask = split.stable_correct if analysed is None else analysed
    cos = _cosines(h, W)
    zones = np.argmax(np.asarray(h, np.float64) @ np.asarray(W, np.float64).T, axis=-1)
    labels = np.asarray(labels)
    T = cos.shape[1]
    future, others, wins = np.full(T, np.nan), np.full(T, np.nan), np.full(T, np.nan)
    for t in range(T):
        later = np.flatnonzero(mask & (split.t_stable > t))
        z, y = zones[later, t], labels[later]
        pair = (z[:, None] == z[None, :]) & (y[:, None] != y[None, :])
        i, j = np.nonzero(pair)
        if len(i):
            own = cos[later[i], t, y[i]]
            other = cos[later[i], t, y[j]]
            future[t], others[t], wins[t] = own.mean(), other.mean(), np.mean(own > other)
    return future, others, wins


def readout_linkage(W) -> np.ndarray:
    """Ward linkage ``(C − 1, 4)`` over the distances ``(1 − cos)/2`` between readout vectors."""
    W = np.asarray(W, np.float64)
    Wn = W / np.maximum(np.linalg.norm(W, axis=1, keepdims=True), 1e-12)
    D = np.clip((1.0 - Wn @ Wn.T) / 2.0, 0.0, 1.0)
    np.fill_diagonal(D, 0.0)
    return linkage(squareform((D + D.T) / 2, checks=False), method="ward")
