"""Singular vector canonical correlation analysis (Raghu et al. 2017)."""

from __future__ import annotations

import numpy as np

from ._validate import as_representation, same_samples


def principal_basis(X: np.ndarray, variance: float) -> np.ndarray:
    """Orthonormal basis ``(n_samples, k)`` of the fewest top principal components of the
    centred ``X`` whose squared singular values explain at least ``variance`` of the total."""
    if not 0.0 < variance <= 1.0:
        raise ValueError(f"variance must be in (0, 1], got {variance!r}")
    U, s = left_singular(X)
    explained = np.cumsum(s**2) / np.sum(s**2)
    k = int(np.searchsorted(explained, variance - 1e-12) + 1)
    # the Gram route leaves U orthonormal only to ~cond(X)²·eps (1.6e-8 at cond 1.4e5); one
    # Cholesky-QR step restores it to ~eps and keeps the span of every leading j columns
    # (L ≈ I, so its inverse is exact to ~eps; NumPy's, as SciPy's own BLAS threads would
    # contend with NumPy's on the next call)
    U = U[:, :k]
    return U @ np.linalg.inv(np.linalg.cholesky(U.T @ U)).T


def left_singular(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Left singular vectors ``(n_samples, r)`` and singular values ``(r,)`` (descending) of
    ``X``, for the r non-negligible ones, from the eigen-decomposition of the smaller
    Gram matrix: a d×d problem instead of an n×d SVD when n_samples ≫ n_units."""
    n, d = X.shape
    if n <= d:
        U, s, _ = np.linalg.svd(X, full_matrices=False)
    else:
        values, V = np.linalg.eigh(X.T @ X)
        values, V = values[::-1], V[:, ::-1]
        s = np.sqrt(np.clip(values, 0.0, None))
        keep = s > s[0] * 1e-7  # beyond this the Gram route has no accurate digits left
        s, V = s[keep], V[:, keep]
        U = (X @ V) / s
    keep = s > s[0] * 1e-12
    return U[:, keep], s[keep]


def svcca(X, Y, *, variance: float = 0.95) -> float:
    """Mean canonical correlation between the top principal subspaces of X and Y.

    Each representation ``(n_samples, n_units)`` is centred and reduced to its fewest
    top principal components explaining ``variance`` of the total (squared singular
    values); the canonical correlations of the two reduced representations are the
    singular values of ``U_xᵀ U_y`` (their orthonormal bases), and the result is their
    mean over ``min(k_x, k_y)``. Invariant to any invertible linear map of either
    representation that keeps its principal subspace (e.g. ``X·A`` with ``variance=1``).
    """
    X, Y = as_representation(X, "X"), as_representation(Y, "Y")
    same_samples(X, Y)
    Ux, Uy = principal_basis(X, variance), principal_basis(Y, variance)
    rho = np.linalg.svd(Ux.T @ Uy, compute_uv=False)
    return float(np.mean(np.clip(rho[: min(Ux.shape[1], Uy.shape[1])], 0.0, 1.0)))
