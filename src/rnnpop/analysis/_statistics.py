"""The statistics the findings use: cluster quality with a permutation null, intervals.

Each function takes plain arrays, so every verdict can be checked on constructed data.
"""

from __future__ import annotations

from typing import Callable

import numpy as np


def silhouette(D: np.ndarray, labels) -> float:
    """Mean silhouette of ``labels (N,)`` on the precomputed distances ``D (N, N)``:
    1 for tight, well separated clusters, about 0 for none; NaN when there are fewer
    than two labels or no label with two members (scikit-learn's definition: a point
    alone in its label scores 0)."""
    labels = np.asarray(labels)
    codes = np.unique(labels, return_inverse=True)[1].reshape(-1)
    n_labels = codes.max(initial=-1) + 1
    if n_labels < 2 or n_labels >= len(labels):
        return float("nan")
    return float(_silhouettes(_clean(D), codes[None], n_labels)[0])


def _clean(D: np.ndarray) -> np.ndarray:
    D = np.asarray(D, np.float64)
    D = np.maximum((D + D.T) / 2, 0.0)
    np.fill_diagonal(D, 0.0)
    return D


def _silhouettes(D: np.ndarray, codes: np.ndarray, n_labels: int) -> np.ndarray:
    """Mean silhouettes of P labellings at once: ``codes (P, N)`` integer labels -> ``(P,)``."""
    onehot = np.eye(n_labels)[codes]  # (P, N, K)
    sizes = onehot.sum(axis=1, keepdims=True)  # (P, 1, K)
    sums = np.einsum("ij,pjk->pik", D, onehot)  # (P, N, K): distance of each point to each label's members
    own = np.sum(onehot * sizes, axis=2)  # (P, N): the size of each point's own label
    a = np.sum(sums * onehot, axis=2) / np.maximum(own - 1, 1)
    b = np.where(onehot > 0, np.inf, sums / np.maximum(sizes, 1)).min(axis=2)  # the nearest other label
    s = np.where(own > 1, (b - a) / np.maximum(np.maximum(a, b), 1e-300), 0.0)
    return s.mean(axis=1)


def permutation_test(D: np.ndarray, labels, *, units=None, n_permutations: int = 999,
                     seed: int = 0) -> tuple[float, float]:
    """``(silhouette, p)``: the silhouette of ``labels`` on ``D (N, N)`` and the
    one-sided p-value of a label permutation test, ``(1 + #{s_perm >= s}) / (1 + n)``.

    ``units (N,)`` groups items that belong together (e.g. a network's two contexts):
    labels are permuted between units, every item of a unit keeping one label.
    """
    labels = np.asarray(labels)
    units = np.arange(len(labels)) if units is None else np.asarray(units)
    unit_ids, index = np.unique(units, return_inverse=True)
    unit_labels = np.empty(len(unit_ids), dtype=labels.dtype)
    unit_labels[index] = labels
    if np.any(unit_labels[index] != labels):
        raise ValueError("every unit must carry one label: items of one unit have different labels")
    observed = silhouette(D, labels)
    if not np.isfinite(observed):
        return observed, float("nan")
    codes = np.unique(unit_labels, return_inverse=True)[1].reshape(-1)
    rng = np.random.default_rng(seed)
    permuted = np.stack([rng.permutation(codes)[index] for _ in range(n_permutations)])
    null = _silhouettes(_clean(D), permuted, codes.max() + 1)
    return observed, float((1 + np.sum(null >= observed - 1e-12)) / (1 + n_permutations))


def jackknife(statistic: Callable[[np.ndarray], float], units) -> tuple[float, float]:
    """``(estimate, standard error)`` of ``statistic(keep)`` by leaving out one unit at
    a time; ``keep`` is a boolean mask over the items, ``units (N,)`` their unit ids."""
    units = np.asarray(units)
    estimate = statistic(np.ones(len(units), bool))
    ids = np.unique(units)
    values = np.array([statistic(units != u) for u in ids])
    values = values[np.isfinite(values)]
    if len(values) < 2:
        return estimate, float("nan")
    return estimate, float(np.sqrt((len(values) - 1) / len(values) * np.sum((values - values.mean()) ** 2)))


def wilson_interval(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval (95 % by default) of a proportion ``k / n``."""
    if n == 0:
        return float("nan"), float("nan")
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return float(centre - half), float(centre + half)


def bootstrap_interval(statistic: Callable[[np.random.Generator | None], float], *, n_resamples: int = 2000,
                       seed: int = 0, level: float = 0.95) -> tuple[float, float, float]:
    """``(estimate, low, high)``: ``statistic(None)`` on the data and the percentile
    interval of ``statistic(rng)`` over ``n_resamples`` resamples drawn with ``rng``."""
    rng = np.random.default_rng(seed)
    values = np.array([statistic(rng) for _ in range(n_resamples)])
    values = values[np.isfinite(values)]
    low, high = (np.quantile(values, [(1 - level) / 2, (1 + level) / 2]) if len(values)
                 else (float("nan"), float("nan")))
    return statistic(None), float(low), float(high)


def modal_fraction(counts) -> tuple[int, float]:
    """``(modal value, fraction of items with it)`` of ``counts (N,)``."""
    counts = np.asarray(counts)
    if counts.size == 0:
        return 0, float("nan")
    values, n = np.unique(counts, return_counts=True)
    return int(values[np.argmax(n)]), float(n.max() / counts.size)


def linear_fit(x, y) -> tuple[float, float, float]:
    """Least-squares ``y ≈ slope · x + intercept``: ``(slope, intercept, R²)``."""
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if len(x) < 2 or np.ptp(x) == 0:
        return float("nan"), float("nan"), float("nan")
    slope, intercept = np.polyfit(x, y, 1)
    residual = y - (slope * x + intercept)
    total = np.sum((y - y.mean()) ** 2)
    r2 = 1.0 - np.sum(residual**2) / total if total > 0 else float("nan")
    return float(slope), float(intercept), float(r2)


def interval_verdict(low: float, high: float, claim_low: float, claim_high: float) -> str:
    """Whether an interval supports a claimed range: inside it → "agrees", disjoint →
    "does not agree", overlapping its edge → "inconclusive"."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return "not testable at this size"
    if claim_low <= low and high <= claim_high:
        return "agrees"
    if high < claim_low or low > claim_high:
        return "does not agree"
    return "inconclusive"
