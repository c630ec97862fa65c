"""Orthogonal Procrustes shape distance (Williams et al. 2021)."""

from __future__ import annotations

import numpy as np

from ._svcca import left_singular
from ._validate import as_representation, same_samples


def shape_basis(X: np.ndarray) -> np.ndarray:
    """``Z = U·S / ‖X‖_F (n_samples, rank)``: the centred, unit-norm ``X`` in its own
    principal coordinates (``Z Zᵀ = X Xᵀ / ‖X‖²``, so every orthogonal-invariant
    quantity is unchanged and widths need no padding)."""
    U, s = left_singular(X)
    return U * (s / np.linalg.norm(s))


def procrustes(X, Y) -> float:
    """Angular Procrustes distance ``arccos(max_Q ⟨X̂, Ŷ Q⟩) = arccos(‖X̂ᵀŶ‖_*)`` in
    [0, π/2], where X̂, Ŷ are the centred representations scaled to unit Frobenius
    norm and Q ranges over orthogonal maps (zero-padding the narrower one). A metric:
    symmetric, zero exactly for ``Y = c·X·Q + v``, and it satisfies the triangle
    inequality."""
    X, Y = as_representation(X, "X"), as_representation(Y, "Y")
    same_samples(X, Y)
    nuclear = np.sum(np.linalg.svd(shape_basis(X).T @ shape_basis(Y), compute_uv=False))
    return float(np.arccos(np.clip(nuclear, -1.0, 1.0)))
