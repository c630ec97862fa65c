"""Dynamical Similarity Analysis (Ostrow et al., NeurIPS 2023) at population scale.

Per network, once: a delay embedding of its trajectories and a HAVOK model — the linear
operator ``A (rank, rank)`` that advances the leading right singular vectors of the
Hankel matrix one step (principal component regression), as the ``dsa-metric``
package's ``DMD`` computes it. Per pair, batched: the Procrustes analysis over vector
fields, ``min over orthogonal C`` of the angle between ``A_x`` and ``C A_y Cᵀ``
(operators scaled to unit Frobenius norm), optimised for many pairs at once in one
jitted program; or the Wasserstein distance between the operators' eigenvalues.
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
    _, _, vh = np.linalg.svd(H.reshape(trials * steps, width).T, full_matrices=False)
    V = vh.T.reshape(trials, steps, -1)
    r = V.shape[-1] if rank is None else rank
    if not 1 <= r <= V.shape[-1]:
        raise ValueError(f"analysis.dsa_rank={rank} must be between 1 and the embedding's {V.shape[-1]} dimensions")
    minus = V[:, :-1, :r].reshape(-1, r)
    plus = V[:, 1:, :r].reshape(-1, r)
    return np.linalg.solve(minus.T @ minus + lamb * np.eye(r), minus.T @ plus).T


def dsa_distances(trajectories: Sequence[np.ndarray], *, n_delays: int = 10, rank: int | None = 20,
                  score: str = "angular", iters: int = 1000, lr: float = 0.05, restarts: int = 8,
                  block_size: int = 2048, seed: int = 0, progress: Progress | None = None) -> np.ndarray:
    """DSA distances ``(N, N)`` between N networks' ``trajectories (trials, time, units)``.

    ``score='angular'``: ``arccos`` of the largest ``tr(A_xᵀ C A_y Cᵀ)`` over orthogonal
    C (unit-norm operators), radians in [0, π]; ``'wasserstein'``: the optimal-transport
    cost (squared distances, uniform weights) between the operators' eigenvalues, as
    ``dsa-metric`` scores them. Symmetric, zero diagonal.
    """
    if score not in SCORES:
        raise ValueError(f"score must be one of {list(SCORES)}, got {score!r}")
    operators = [havok_operator(t, n_delays=n_delays, rank=rank) for t in trajectories]
    return operator_distances(operators, score=score, iters=iters, lr=lr, restarts=restarts,
                              block_size=block_size, seed=seed, progress=progress)


def operator_distances(operators: Sequence[np.ndarray], *, score: str = "angular", iters: int = 1000,
                       lr: float = 0.05, restarts: int = 8, block_size: int = 2048, seed: int = 0,
                       progress: Progress | None = None) -> np.ndarray:
    """The DSA score between every pair of operators ``(r, r)`` (see :func:`dsa_distances`)."""
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
    sizes = {np.shape(A) for A in operators}
    if len(sizes) != 1:
        raise ValueError(f"angular DSA needs operators of one size (one rank for every network), got {sorted(sizes)}")
    stack = np.stack([np.asarray(A, np.float64) / np.linalg.norm(A) for A in operators]).astype(np.float32)
    r = stack.shape[-1]
    starts = _starts(r, restarts, seed)
    for start in range(0, len(i), block_size):
        a, b = i[start:start + block_size], j[start:start + block_size]
        residual = np.asarray(_best_alignment(stack[a], stack[b], starts, iters, lr), np.float64)
        D[a, b] = D[b, a] = 2.0 * np.arcsin(np.clip(residual / 2.0, 0.0, 1.0))  # = arccos tr(Aᵀ C B Cᵀ)
        if progress is not None:
            progress("pairs", min(start + block_size, len(i)), len(i))
    return D


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


def _best_alignment(A, B, starts, iters: int, lr: float):
    """:func:`_alignment` compiled (JAX imported on first use, not with rnnpop.similarity)."""
    return _compiled()(A, B, starts, iters, lr)


@functools.lru_cache(maxsize=1)
def _compiled():
    import jax

    return jax.jit(_alignment, static_argnums=(3,))


def _alignment(A, B, starts, iters: int, lr: float):
    """``min over starts`` of the optimised ``‖A − C B Cᵀ‖``, per pair: ``A, B (P, r, r)``
    of unit norm (the residual is ``2 sin(θ/2)`` of the angle θ the alignment leaves).

    C = C₀ · Cayley(S), S skew (free parameters W, S = W − Wᵀ), Adam on W with a cosine
    learning-rate decay, from each start C₀: the identity, a reflection and random
    rotations of both (the two components of O(r)), and three informed by the eigenbases
    of symmetric forms of A and B (exact for rotated copies).
    """
    import jax
    import jax.numpy as jnp
    import optax

    r = A.shape[-1]
    eye = jnp.eye(r, dtype=A.dtype)

    def transform(W, c0):
        S = W - W.T
        return c0 @ jnp.linalg.solve(eye + S, eye - S)

    def alignment(W, a, b, c0):
        C = transform(W, c0)
        return jnp.trace(a.T @ C @ b @ C.T)

    def residual(W, a, b, c0):  # ‖A − C B Cᵀ‖ = 2 sin(θ/2): accurate for small angles in float32
        C = transform(W, c0)
        return jnp.linalg.norm(a - C @ b @ C.T)

    optimizer = optax.adam(optax.cosine_decay_schedule(lr, iters, alpha=0.01))

    def informed(a, b, form):
        """An orthogonal C₀ mapping the eigenbasis of a symmetric form of B (its symmetric
        part, BᵀB or BBᵀ) onto A's, the signs of its columns chosen greedily (two passes):
        exact for B = Qᵀ A Q when that form's eigenvalues are distinct."""
        _, ua = jnp.linalg.eigh(form(a))
        _, ub = jnp.linalg.eigh(form(b))

        def score(signs):
            C = (ua * signs) @ ub.T
            return jnp.trace(a.T @ C @ b @ C.T)

        def flip(k, signs):
            flipped = signs.at[k % r].multiply(-1.0)
            return jnp.where(score(flipped) > score(signs), flipped, signs)

        signs = jax.lax.fori_loop(0, 2 * r, flip, jnp.ones(r, a.dtype))
        return (ua * signs) @ ub.T

    def one(a, b, c0):
        grad = jax.grad(lambda W: -alignment(W, a, b, c0))

        def step(_, carry):
            W, state = carry
            updates, state = optimizer.update(grad(W), state)
            return optax.apply_updates(W, updates), state

        W0 = jnp.zeros((r, r), A.dtype)
        W, _ = jax.lax.fori_loop(0, iters, step, (W0, optimizer.init(W0)))
        return residual(W, a, b, c0)

    def pair(a, b):
        forms = (lambda m: m + m.T, lambda m: m.T @ m, lambda m: m @ m.T)
        own = jnp.concatenate([starts, jnp.stack([informed(a, b, f) for f in forms])])
        return jax.vmap(one, in_axes=(None, None, 0))(a, b, own).min()

    return jax.vmap(pair)(A, B)
