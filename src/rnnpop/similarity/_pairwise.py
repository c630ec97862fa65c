"""All-pairs distances for a population: per-network work once, per-pair work batched.

CKA is the cosine between vectorised (optionally U-centred) Gram matrices, so the
whole N×N matrix is one streamed GEMM of per-network unit vectors. SVCCA and
Procrustes reduce every network once to an orthonormal (or scaled) principal basis;
a pair then needs only the nuclear norm of ``Z_iᵀ Z_j``, computed block by block.
"""

from __future__ import annotations

import functools
from typing import Callable, Sequence

import numpy as np

from .._progress import Progress

from ._cka import u_centre
from ._procrustes import shape_basis
from ._svcca import principal_basis
from ._validate import as_representation

METRICS = ("svcca", "cka", "procrustes")


def pairwise(reps: Sequence[np.ndarray], *, metric: str = "svcca", variance: float = 0.95,
             debiased: bool = False, block_size: int = 64, progress: Progress | None = None) -> np.ndarray:
    """Distances ``(N, N)`` between N representations ``(n_samples, n_units_i)``.

    ``metric``: 'svcca' (``1 − mean canonical correlation`` of the top principal
    subspaces explaining ``variance``), 'cka' (``1 − linear CKA``, ``debiased`` for the
    unbiased HSIC estimator) or 'procrustes' (the angular shape distance). Symmetric,
    zero diagonal; equal to the per-pair functions up to float32 rounding of the
    batched products.

    Example:
        >>> D = pairwise([X1, X2, X3], metric="cka")   # (3, 3)
    """
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {list(METRICS)}, got {metric!r}")
    if len(reps) == 0:
        raise ValueError("reps must hold at least one representation")
    n_samples = {np.shape(r)[0] for r in reps}
    if len(n_samples) != 1:
        raise ValueError(f"every representation needs the same n_samples, got {sorted(n_samples)}")
    minimum = 4 if (metric == "cka" and debiased) else 2
    prepared = [as_representation(r, f"reps[{i}]", min_samples=minimum) for i, r in enumerate(reps)]
    if metric == "cka":
        return _cka_distances(_gram_vectors(prepared, debiased), block_size, progress)
    if metric == "svcca":
        return _nuclear_distances([principal_basis(X, variance) for X in prepared], block_size, progress,
                                  mean=True)
    return _nuclear_distances([shape_basis(X) for X in prepared], block_size, progress, mean=False)


def _gram_vectors(reps: list[np.ndarray], debiased: bool) -> np.ndarray:
    """Unit vectors ``(N, n(n+1)/2)`` float32 whose dot products are CKA: the upper
    triangle of each (U-centred) Gram matrix with off-diagonal entries × √2."""
    n = reps[0].shape[0]
    index, weight = _upper_triangle(n)
    out = np.empty((len(reps), len(index)), np.float32)
    for i, X in enumerate(reps):
        if debiased:  # float64 for the U-centring's cancellations
            K = u_centre(X @ X.T)
        else:  # float32 suffices for ⟨K, L⟩ itself
            X32 = X.astype(np.float32)
            K = X32 @ X32.T
        v = np.take(K, index) * weight
        out[i] = v / np.linalg.norm(v)
    return out


@functools.lru_cache(maxsize=4)
def _upper_triangle(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Flat indices of the upper triangle of an (n, n) matrix and the weights (1 on the
    diagonal, √2 off it) that make dot products of the gathered vectors ⟨K, L⟩_F."""
    rows, cols = np.triu_indices(n)
    return rows * n + cols, np.where(rows == cols, 1.0, np.sqrt(2.0))


def _blocks(n: int, pair_fn: Callable[[slice, slice], np.ndarray], block_size: int,
            progress: Progress | None) -> np.ndarray:
    """Fill the symmetric ``(n, n)`` matrix block by block (upper triangle only)."""
    if block_size <= 0:
        raise ValueError(f"block_size must be > 0, got {block_size}")
    starts = range(0, n, block_size)
    jobs = [(i, j) for i in starts for j in starts if j >= i]
    D = np.zeros((n, n))
    for done, (i, j) in enumerate(jobs, 1):
        rows, cols = slice(i, i + block_size), slice(j, j + block_size)
        block = pair_fn(rows, cols)
        if i == j:  # both orders of a pair computed here; make them agree exactly
            block = 0.5 * (block + block.T)
        D[rows, cols] = block
        D[cols, rows] = block.T
        if progress is not None:
            progress("pairs", done, len(jobs))
    np.fill_diagonal(D, 0.0)
    return np.clip(D, 0.0, None)


def _cka_distances(vectors: np.ndarray, block_size: int, progress: Progress | None) -> np.ndarray:
    return _blocks(len(vectors), lambda r, c: 1.0 - vectors[r] @ vectors[c].T, block_size, progress)


def _nuclear_distances(bases: list[np.ndarray], block_size: int, progress: Progress | None,
                       *, mean: bool) -> np.ndarray:
    """``1 − ‖Z_iᵀZ_j‖_* / min(k_i, k_j)`` (mean=True, SVCCA) or ``arccos ‖Z_iᵀZ_j‖_*``."""
    widths = np.array([b.shape[1] for b in bases])
    stacked = np.zeros((len(bases), bases[0].shape[0], int(widths.max())), np.float32)
    for i, b in enumerate(bases):
        stacked[i, :, : b.shape[1]] = b  # zero columns add only zero singular values

    def pair_fn(rows: slice, cols: slice) -> np.ndarray:
        # one GEMM for the block: (bi·k, n) @ (n, bj·k) -> (bi, bj, k, k)
        cross = np.einsum("ink,jnl->ijkl", stacked[rows], stacked[cols], optimize=True).astype(np.float64)
        gram = np.swapaxes(cross, -1, -2) @ cross
        nuclear = np.sqrt(np.clip(np.linalg.eigvalsh(gram), 0.0, None)).sum(-1)
        if mean:
            k = np.minimum(widths[rows][:, None], widths[cols][None, :])
            return 1.0 - np.clip(nuclear / k, 0.0, 1.0)
        return np.arccos(np.clip(nuclear, -1.0, 1.0))

    return _blocks(len(bases), pair_fn, block_size, progress)
