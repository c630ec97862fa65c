"""Transition graphs between fixed points (Maheswaranathan et al. 2019, Fig. 1e)."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ._fixed_points import FixedPoints
from ._linearise import Step


def iterate(step, h, x, n_steps: int):
    """``step`` applied ``n_steps`` times to one state ``h`` with the static input ``x``."""
    return jax.lax.fori_loop(0, n_steps, lambda _, v: step(v, x), h)


@eqx.filter_jit
def _settle(step, starts, inputs, n_steps):
    return jax.vmap(lambda h, x: iterate(step, h, x, n_steps))(starts, inputs)


def transition_graph(step: Step, fixed_points: FixedPoints, *, n_perturbations: int = 100,
                     noise_scale: float = 0.05, n_steps: int = 1000, seed: int = 0) -> np.ndarray:
    """Transition probabilities ``(M, M)`` between ``fixed_points``.

    From each fixed point i, ``n_perturbations`` runs start at ``h_i + noise_scale·ε``
    (ε a random direction of unit norm), iterate ``step`` with that point's input for
    ``n_steps`` steps, and are assigned to the nearest fixed point sharing that input.
    Row i holds the fractions (rows sum to 1); a stable point is a self-loop.
    """
    M, n = fixed_points.states.shape
    if M == 0:
        return np.zeros((0, 0))
    rng = np.random.default_rng(seed)
    directions = rng.normal(size=(M, n_perturbations, n))
    directions /= np.linalg.norm(directions, axis=-1, keepdims=True)
    starts = fixed_points.states[:, None, :] + noise_scale * directions
    inputs = np.repeat(fixed_points.inputs[:, None, :], n_perturbations, axis=1)
    ends = np.asarray(_settle(step, jnp.asarray(starts.reshape(-1, n), jnp.float32),
                              jnp.asarray(inputs.reshape(M * n_perturbations, -1), jnp.float32), n_steps))
    ends = ends.reshape(M, n_perturbations, n)
    graph = np.zeros((M, M))
    for i in range(M):
        same_input = np.flatnonzero(np.all(fixed_points.inputs == fixed_points.inputs[i], axis=1))
        distance = np.linalg.norm(ends[i][:, None, :] - fixed_points.states[same_input][None], axis=-1)
        targets = same_input[np.argmin(distance, axis=1)]
        graph[i] = np.bincount(targets, minlength=M) / n_perturbations
    return graph
