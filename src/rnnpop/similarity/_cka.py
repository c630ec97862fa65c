"""Centered kernel alignment with a linear kernel (Kornblith et al. 2019)."""

from __future__ import annotations

import numpy as np

from ._validate import as_representation, same_samples


def cka(X, Y, *, debiased: bool = False) -> float:
    """Linear CKA of ``X (n_samples, n_x)`` and ``Y (n_samples, n_y)``, in [0, 1].

    ``CKA = ⟨K, L⟩ / (‖K‖ ‖L‖)`` with ``K = X̄X̄ᵀ``, ``L = ȲȲᵀ`` the Gram matrices of
    the column-centred representations. ``debiased=True`` replaces each inner product
    by the unbiased HSIC estimator (Song et al. 2012), computed by U-centring the
    Gram matrices (needs ``n_samples >= 4``). Invariant to orthogonal maps, isotropic
    scaling and translation; not to general invertible maps.

    Example:
        >>> X = np.random.default_rng(0).normal(size=(100, 5))
        >>> round(cka(X, 3 * X @ np.linalg.qr(np.ones((5, 5)) + np.eye(5))[0]), 6)
        1.0
    """
    X = as_representation(X, "X", min_samples=4 if debiased else 2)
    Y = as_representation(Y, "Y", min_samples=4 if debiased else 2)
    same_samples(X, Y)
    if debiased:
        K, L = u_centre(X @ X.T), u_centre(Y @ Y.T)
        return float(np.sum(K * L) / np.sqrt(np.sum(K * K) * np.sum(L * L)))
    cross = np.linalg.norm(Y.T @ X) ** 2
    return float(cross / (np.linalg.norm(X.T @ X) * np.linalg.norm(Y.T @ Y)))


def u_centre(K: np.ndarray) -> np.ndarray:
    """U-centred Gram matrix (Székely & Rizzo 2014): ``⟨Ũ(K), Ũ(L)⟩ / (n(n−3))`` is the
    unbiased HSIC estimator. ``K (n, n)`` symmetric; the result has a zero diagonal."""
    n = K.shape[0]
    K = K.copy()
    np.fill_diagonal(K, 0.0)
    rows = K.sum(axis=0) / (n - 2)
    K = K - rows[:, None] - rows[None, :] + K.sum() / ((n - 1) * (n - 2))
    np.fill_diagonal(K, 0.0)
    return K
