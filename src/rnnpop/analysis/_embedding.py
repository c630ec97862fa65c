"""Metric multidimensional scaling of a distance matrix."""

from __future__ import annotations

import numpy as np
from scipy.spatial.distance import pdist, squareform
from sklearn.manifold import MDS


def classical_mds(D: np.ndarray, n_components: int = 2) -> np.ndarray:
    """Torgerson's classical scaling of ``D (N, N)``: ``(N, n_components)``; directions
    with non-positive eigenvalues (non-Euclidean or too few points) are set to zero, as are
    those within rounding of zero (``|λ| ≤ N·ε·max|λ|``), which are zero in exact arithmetic."""
    D = np.asarray(D, np.float64)
    n = len(D)
    J = np.eye(n) - 1.0 / n
    values, vectors = np.linalg.eigh(-0.5 * J @ (D**2) @ J)
    top = np.argsort(values)[::-1][:n_components]
    tolerance = n * np.finfo(np.float64).eps * np.max(np.abs(values), initial=0.0)
    kept = np.where(values[top] > tolerance, values[top], 0.0)
    embedding = np.zeros((n, n_components))
    embedding[:, : len(top)] = vectors[:, top] * np.sqrt(kept)
    return embedding


def mds(D: np.ndarray, n_components: int = 2, *, seed: int = 0) -> tuple[np.ndarray, float]:
    """Metric MDS of ``D (N, N)``: SMACOF (scikit-learn) started from :func:`classical_mds`.

    Returns ``(embedding (N, n_components), stress)`` where stress is Kruskal's
    stress-1, ``sqrt(Σ (d_ij − D_ij)² / Σ D_ij²)`` over pairs (0 = perfect).
    """
    D = np.asarray(D, np.float64)
    if D.ndim != 2 or D.shape[0] != D.shape[1]:
        raise ValueError(f"D must be a square (N, N) matrix, got shape {D.shape}")
    if not np.all(np.isfinite(D)) or np.any(D < 0):
        raise ValueError("D must be finite and non-negative")
    if not np.allclose(D, D.T, atol=1e-8):
        raise ValueError("D must be symmetric")
    if not np.any(D > 0):  # one point, or all coincide: the embedding is exact at the origin
        return np.zeros((len(D), n_components)), 0.0
    model = MDS(n_components=n_components, metric_mds=True, metric="precomputed", init="random",
                n_init=1, max_iter=1000, eps=1e-9, random_state=seed, normalized_stress=False)
    embedding = model.fit_transform(D, init=classical_mds(D, n_components))
    fitted = squareform(pdist(embedding))
    upper = np.triu_indices(len(D), 1)
    denominator = np.sum(D[upper] ** 2)
    stress = float(np.sqrt(np.sum((fitted[upper] - D[upper]) ** 2) / denominator)) if denominator > 0 else 0.0
    return embedding, stress
