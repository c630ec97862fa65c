"""Analyses of the linearised dynamics around fixed points (Figs. 2d–f, 3e–f)."""

from __future__ import annotations

import numpy as np


def oscillation_frequency(eigenvalues: np.ndarray) -> np.ndarray:
    """|angle| (radians per step) of the leading complex eigenvalue pair of each point.

    ``eigenvalues (M, n)``; NaN where a point has no complex eigenvalue.
    """
    eigenvalues = np.atleast_2d(eigenvalues)
    out = np.full(len(eigenvalues), np.nan)
    for i, values in enumerate(eigenvalues):
        complex_ = values[np.abs(values.imag) > 1e-9 * np.maximum(1.0, np.abs(values))]
        if complex_.size:
            out[i] = np.abs(np.angle(complex_[np.argmax(np.abs(complex_))]))
    return out


def count_near_one(eigenvalues: np.ndarray, tolerance: float = 0.05) -> np.ndarray:
    """Number of eigenvalues with ``|λ − 1| <= tolerance`` per point: ``(M, n) -> (M,)``."""
    return np.sum(np.abs(np.atleast_2d(eigenvalues) - 1.0) <= tolerance, axis=-1)


def mode_zeroing_integration(eigenvalues: np.ndarray, right: np.ndarray, left: np.ndarray,
                             input_vector: np.ndarray, readout: np.ndarray, n_steps: int) -> np.ndarray:
    """Readout after ``n_steps`` of a unit input pulse, keeping only the top-k modes.

    The linear system ``Δh_{t+1} = J Δh_t`` with ``J = R diag(λ) L`` receives a unit
    pulse ``Δh_0 = input_vector`` (the input Jacobian column of the relevant input);
    modes are zeroed from the smallest |λ| up. Returns ``(n + 1,)``: entry k is
    ``readout · R_k diag(λ_k^n_steps) L_k · input_vector`` with the k largest modes kept
    (entry n is the full linearisation; entry 0 is 0). Eigenvalues sorted by |λ|
    descending, as :class:`FixedPoints` stores them; ``readout (n,)``.
    """
    weights = (readout @ right) * (left @ input_vector) * eigenvalues**n_steps  # per mode
    return np.concatenate([[0.0], np.cumsum(weights).real])
