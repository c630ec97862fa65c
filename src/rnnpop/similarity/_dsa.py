"""Dynamical Similarity Analysis (Ostrow et al., NeurIPS 2023) at population scale.

Per network, once: a delay embedding of its trajectories and a HAVOK model — the linear
operator ``A (rank, rank)`` that advances the leading right singular vectors of the
Hankel matrix one step (principal component regression), as the ``dsa-metric``
package's ``DMD`` computes it. Per pair, batched: the Procrustes analysis over vector
fields, ``min over orthogonal C`` of the angle between ``A_x`` and ``C A_y Cᵀ``
(operators scaled to unit Frobenius norm), optimised for many pairs at once in one
jitted program spread over the devices; or the Wasserstein distance between the
operators' eigenvalues.
"""

from __future__ import annotations

import functools
from typing import Sequence

import numpy as np

from .._progress import Progress

SCORES = ("angular", "wasserstein")


def delay_embedding(trajectories: np.ndarray, n_delays: int, delay_interval: int = 1) -> np.ndarray:
    """``(trials, time, units) -> (trials, time − (n_delays − 1)·interval, units·n_delays)``;
    block ``d`` of a row at time ``t`` holds the state ``(n_delays − 1 − d)·interval`` steps
    after ``t`` (the newest first), as ``dsa-metric``'s ``embed_signal_torch``."""
    X = np.asarray(trajectories)
    steps = X.shape[1] - (n_delays - 1) * delay_interval
    if steps < 2:
        raise ValueError(f"trajectories of {X.shape[1]} steps are too short for n_delays={n_delays} at interval "
                         f"{delay_interval}: the embedding needs at least 2 steps; lower analysis.dsa_delays")
    return np.concatenate([X[:, (n_delays - 1 - d) * delay_interval:(n_delays - 1 - d) * delay_interval + steps]
                           for d in range(n_delays)], axis=-1)


def havok_operator(trajectories: np.ndarray, *, n_delays: int = 10, rank: int | None = 20,
                   delay_interval: int = 1, lamb: float = 0.0) -> np.ndarray:
    """The HAVOK operator ``(rank, rank)`` of one network's ``trajectories (trials, time,
    units)`` (or ``(time, units)``): ``A = [(V₋ᵀV₋ + λI)⁻¹ V₋ᵀ V₊]ᵀ`` over the first
    ``rank`` right singular vectors ``V`` of the Hankel matrix, ``V₋`` / ``V₊`` their
    rows at t and t + 1 within each trial. ``rank=None``: every singular vector."""
    X = np.asarray(trajectories, np.float64)
    if X.ndim == 2:
        X = X[None]
    if X.ndim != 3:
        raise ValueError(f"trajectories must be (trials, time, units) or (time, units), got shape {np.shape(trajectories)}")
    H = delay_embedding(X, n_delays, delay_interval)
    trials, steps, width = H.shape
    if trials * steps < width:
        raise ValueError(f"{trials} trials × {steps} embedded steps are fewer than the embedding's {width} dimensions "
                         f"({X.shape[2]} units × {n_delays} delays); lower analysis.dsa_delays or give longer trials")
    r = width if rank is None else rank
    if not 1 <= r <= width:
        raise ValueError(f"analysis.dsa_rank={rank} must be between 1 and the embedding's {width} dimensions")
    V = _leading_right_vectors(H.reshape(trials * steps, width), r).reshape(trials, steps, r)
    minus = V[:, :-1, :r].reshape(-1, r)
    plus = V[:, 1:, :r].reshape(-1, r)
    return np.linalg.solve(minus.T @ minus + lamb * np.eye(r), minus.T @ plus).T


def _leading_right_vectors(H: np.ndarray, r: int) -> np.ndarray:
    """The ``r`` leading singular vectors ``(rows, r)`` of ``H (rows, width)`` over its rows:
    from the eigenvectors of the Gram matrix ``HᵀH`` (a product and a width × width
    eigenproblem, far cheaper than the SVD of a long H), or from the SVD where the
    ``r``-th singular value is below 1e-4 of the first (the Gram's eigenvectors would
    lose precision there)."""
    values, vectors = np.linalg.eigh(H.T @ H)
    values, vectors = values[::-1][:r], vectors[:, ::-1][:, :r]
    if values[-1] > 1e-8 * values[0]:
        return H @ (vectors / np.sqrt(values))
    return np.linalg.svd(H, full_matrices=False)[0][:, :r]


def dsa_distances(trajectories: Sequence[np.ndarray], *, n_delays: int = 10, rank: int | None = 20,
                  score: str = "angular", iters: int = 300, lr: float = 0.2, restarts: int = 8, keep: int = 4,
                  block_size: int = 1024, seed: int = 0, progress: Progress | None = None) -> np.ndarray:
    """DSA distances ``(N, N)`` between N networks' ``trajectories (trials, time, units)``.

    ``score='angular'``: ``arccos`` of the largest ``tr(A_xᵀ C A_y Cᵀ)`` over orthogonal
    C (unit-norm operators), radians in [0, π]; ``'wasserstein'``: the optimal-transport
    cost (squared distances, uniform weights) between the operators' eigenvalues, as
    ``dsa-metric`` scores them. Symmetric, zero diagonal. The search settings are
    :func:`operator_distances`'.
    """
    if score not in SCORES:
        raise ValueError(f"score must be one of {list(SCORES)}, got {score!r}")
    operators = [havok_operator(t, n_delays=n_delays, rank=rank) for t in trajectories]
    return operator_distances(operators, score=score, iters=iters, lr=lr, restarts=restarts, keep=keep,
                              block_size=block_size, seed=seed, progress=progress)


def operator_distances(operators: Sequence[np.ndarray], *, score: str = "angular", iters: int = 300,
                       lr: float = 0.2, restarts: int = 8, keep: int = 4, block_size: int = 1024, seed: int = 0,
                       progress: Progress | None = None) -> np.ndarray:
    """The DSA score between every pair of operators ``(r, r)`` (see :func:`dsa_distances`).

    The angular score is a search over O(r) from ``2·restarts + 5`` starts per pair (the
    identity, a reflection, ``restarts`` random rotations and their reflections, three
    eigenbasis-informed starts); all of them take the first third of the ``iters`` steps
    at rate ``lr``, the ``keep`` best continue with a cosine-decayed rate. Pairs are
    batched ``block_size`` at a time and spread over JAX's local devices (the cores, after
    :func:`rnnpop.train.configure_cpu`).
    """
    n = len(operators)
    D = np.zeros((n, n))
    i, j = np.triu_indices(n, k=1)
    if score == "wasserstein":
        eigenvalues = [np.linalg.eigvals(np.asarray(A, np.float64)) for A in operators]
        for k, (a, b) in enumerate(zip(i, j)):
            D[a, b] = D[b, a] = _eigenvalue_transport(eigenvalues[a], eigenvalues[b])
            if progress is not None and (k + 1) % 1000 == 0:
                progress("pairs", k + 1, len(i))
        return D
    if not len(i):
        return D
    sizes = {np.shape(A) for A in operators}
    if len(sizes) != 1:
        raise ValueError(f"angular DSA needs operators of one size (one rank for every network), got {sorted(sizes)}")
    if not 1 <= keep <= 2 * restarts + 5 or iters < 3:
        raise ValueError(f"keep must be between 1 and the {2 * restarts + 5} starts, and iters at least 3; "
                         f"got keep={keep}, iters={iters}")
    stack = np.stack([np.asarray(A, np.float64) / np.linalg.norm(A) for A in operators]).astype(np.float32)
    starts = _starts(stack.shape[-1], restarts, seed)
    bases = _eigenbases(stack)
    for done, block, residual in _blocks(stack, bases, i, j, starts, iters, lr, keep, block_size):
        D[i[block], j[block]] = D[j[block], i[block]] = 2.0 * np.arcsin(np.clip(residual / 2.0, 0.0, 1.0))
        if progress is not None:
            progress("pairs", done, len(i))
    return D


def _eigenbases(stack: np.ndarray) -> np.ndarray:
    """``(N, 3, r, r)``: the eigenvectors of each operator's symmetric part, ``AᵀA`` and
    ``AAᵀ`` (ascending eigenvalues), for the informed starts."""
    forms = np.stack([stack + np.swapaxes(stack, -1, -2), np.swapaxes(stack, -1, -2) @ stack,
                      stack @ np.swapaxes(stack, -1, -2)], axis=1)
    return np.linalg.eigh(forms.astype(np.float64))[1].astype(np.float32)


def _blocks(stack, bases, i, j, starts, iters: int, lr: float, keep: int, block_size: int):
    """Yield ``(pairs done, slice of the pairs, residuals)`` block by block; each block of
    equal size (the last padded) is split over the devices along its pairs."""
    import jax
    from jax.sharding import Mesh, NamedSharding, PartitionSpec

    devices = jax.local_devices()
    count = len(devices)
    per_block = -(-len(i) // block_size)
    size = count * -(-len(i) // (per_block * count))  # equal blocks, a multiple of the devices
    sharding = NamedSharding(Mesh(np.array(devices), ("pair",)), PartitionSpec("pair"))
    for start in range(0, len(i), size):
        block = slice(start, min(start + size, len(i)))
        a = np.resize(i[block], size)  # the last block padded with its own pairs
        b = np.resize(j[block], size)
        residual = _compiled()(*(jax.device_put(x, sharding) for x in (stack[a], stack[b], bases[a], bases[b])),
                               starts, iters, lr, keep)
        yield block.stop, block, np.asarray(residual, np.float64)[:block.stop - start]


def _eigenvalue_transport(a: np.ndarray, b: np.ndarray) -> float:
    """Optimal transport cost between two eigenvalue sets (uniform weights, squared
    Euclidean cost in the complex plane; the smaller set padded with zeros)."""
    from scipy.optimize import linear_sum_assignment

    size = max(len(a), len(b))
    a, b = (np.concatenate([v, np.zeros(size - len(v))]) for v in (a, b))
    cost = np.abs(a[:, None] - b[None, :]) ** 2
    rows, cols = linear_sum_assignment(cost)
    return float(cost[rows, cols].mean())


def _starts(r: int, restarts: int, seed: int) -> np.ndarray:
    """Starting points ``(S, r, r)`` of the search: the identity and a reflection (the two
    components of O(r)), then ``restarts`` random rotations of each."""
    rng = np.random.default_rng(seed)
    reflection = np.eye(r)
    reflection[0, 0] = -1.0
    out = [np.eye(r), reflection]
    for _ in range(restarts):
        q, s = np.linalg.qr(rng.normal(size=(r, r)))
        rotation = q * np.sign(np.diag(s))
        if np.linalg.det(rotation) < 0:
            rotation = rotation @ reflection
        out += [rotation, rotation @ reflection]
    return np.stack(out).astype(np.float32)


@functools.lru_cache(maxsize=1)
def _compiled():
    """:func:`_alignment` compiled (JAX imported on first use, not with rnnpop.similarity)."""
    import jax

    return jax.jit(_alignment, static_argnums=(5, 7))


def _alignment(A, B, bases_a, bases_b, starts, iters: int, lr, keep: int):
    """``min over starts`` of the optimised ``‖A − C B Cᵀ‖``, per pair: ``A, B (P, r, r)``
    of unit norm (the residual is ``2 sin(θ/2)`` of the angle θ the alignment leaves),
    ``bases_a, bases_b (P, 3, r, r)`` their :func:`_eigenbases`, ``starts (S, r, r)``.

    Riemannian gradient ascent of ``f(C) = tr(Aᵀ C B Cᵀ)`` on O(r), in C's own frame:
    the Euclidean gradient ``G = A C Bᵀ + Aᵀ C B`` becomes the skew ``Ω = CᵀG − GᵀC``,
    Adam's moments are kept on Ω, and a step is ``C ← C(I + U)`` (‖U‖ clipped to 0.5)
    followed by one Newton–Schulz step back onto O(r) (matrix products only: XLA's CPU
    backend solves small batched systems ~7× slower than it multiplies them). Starts:
    ``starts`` (the identity, a reflection and random rotations of both) and three informed
    by the eigenbases of symmetric forms of A and B (exact for rotated copies). Every
    start takes the first third of the steps at rate ``lr``; the ``keep`` best continue,
    the rate decaying along a cosine; four Newton–Schulz steps end on O(r) to float32
    precision. No LAPACK call runs inside the program (the eigenbases come from NumPy).
    """
    import jax
    import jax.numpy as jnp

    r = A.shape[-1]
    eye = jnp.eye(r, dtype=A.dtype)
    beta1, beta2 = 0.9, 0.999
    explore = iters // 3

    def orthonormalise(C):  # one Newton–Schulz step towards the polar factor
        return C @ (1.5 * eye - 0.5 * jnp.swapaxes(C, -1, -2) @ C)

    def ascend(a, b, C, m, v, rates, first):
        def step(t, carry):
            C, m, v = carry
            G = jnp.einsum("ij,sjk->sik", a, C @ b.T) + jnp.einsum("ji,sjk->sik", a, C @ b)
            M = jnp.swapaxes(C, -1, -2) @ G
            omega = M - jnp.swapaxes(M, -1, -2)
            m = beta1 * m + (1 - beta1) * omega
            v = beta2 * v + (1 - beta2) * omega * omega
            k = first + t + 1
            U = rates[t] * (m / (1 - beta1**k)) / (jnp.sqrt(v / (1 - beta2**k)) + 1e-8)
            norm = jnp.sqrt(jnp.sum(U * U, axis=(-2, -1), keepdims=True))
            U = U * jnp.minimum(1.0, 0.5 / norm)  # steps ≤ 0.5: Newton–Schulz contracts
            return orthonormalise(C + C @ U), m, v

        return jax.lax.fori_loop(0, len(rates), step, (C, m, v))

    def informed(a, b, ua, ub):
        """An orthogonal C₀ mapping the eigenbasis ``ub`` of a symmetric form of B onto
        A's ``ua``, the signs of its columns chosen greedily (two passes): exact for
        B = Qᵀ A Q when that form's eigenvalues are distinct."""

        def score(signs):
            C = (ua * signs) @ ub.T
            return jnp.trace(a.T @ C @ b @ C.T)

        def flip(k, signs):
            flipped = signs.at[k % r].multiply(-1.0)
            return jnp.where(score(flipped) > score(signs), flipped, signs)

        signs = jax.lax.fori_loop(0, 2 * r, flip, jnp.ones(r, a.dtype))
        return (ua * signs) @ ub.T

    def pair(a, b, ua, ub):
        C = jnp.concatenate([starts, jax.vmap(informed, in_axes=(None, None, 0, 0))(a, b, ua, ub)])
        zeros = jnp.zeros_like(C)
        C, m, v = ascend(a, b, C, zeros, zeros, jnp.full(explore, lr, A.dtype), 0)
        C = orthonormalise(orthonormalise(C))
        value = jnp.sum(a * (C @ b @ jnp.swapaxes(C, -1, -2)), axis=(-2, -1))
        best = jnp.argsort(-value)[:keep]
        decay = 0.01 + 0.99 * 0.5 * (1 + jnp.cos(jnp.pi * jnp.arange(iters - explore) / (iters - explore)))
        C, _, _ = ascend(a, b, C[best], m[best], v[best], (lr * decay).astype(A.dtype), explore)
        for _ in range(4):
            C = orthonormalise(C)
        return jnp.linalg.norm(a - C @ b @ jnp.swapaxes(C, -1, -2), axis=(-2, -1)).min()

    return jax.vmap(pair)(A, B, bases_a, bases_b)
