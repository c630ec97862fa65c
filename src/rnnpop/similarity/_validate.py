"""Input checks shared by the similarity measures."""

from __future__ import annotations

import numpy as np


def as_representation(X, name: str = "X", *, min_samples: int = 2) -> np.ndarray:
    """``X (n_samples, n_units)`` as float64, checked finite and non-degenerate, columns centred."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_units), got shape {X.shape}")
    if X.shape[0] < min_samples:
        raise ValueError(f"{name} needs at least {min_samples} samples, got {X.shape[0]}")
    if not np.all(np.isfinite(X)):
        raise ValueError(f"{name} contains NaN or inf (e.g. a diverged network); remove it first")
    X = X - X.mean(axis=0)
    if not np.any(np.abs(X) > 1e-12 * max(1.0, float(np.abs(X).max()))):
        raise ValueError(f"{name} has no variance (every unit is constant): similarity is undefined")
    return X


def same_samples(X: np.ndarray, Y: np.ndarray) -> None:
    if X.shape[0] != Y.shape[0]:
        raise ValueError(f"X and Y must have the same number of samples, got {X.shape[0]} and {Y.shape[0]}")
