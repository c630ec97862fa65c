"""Linearisation of a discrete-time map around given states."""

from __future__ import annotations

from typing import Callable

import equinox as eqx
import jax
import numpy as np

from ._buckets import on_padded_rows

Step = Callable[[jax.Array, jax.Array], jax.Array]
"""``step(h (n_units,), x (n_inputs,)) -> h_next (n_units,)``, JAX-traceable."""


def jacobians(step: Step, states, inputs) -> tuple[np.ndarray, np.ndarray]:
    """``(d step/d h (M, n, n), d step/d x (M, n, n_in))`` at each (state, input) pair."""
    dh, dx = on_padded_rows(lambda h, x: _jacobians(step, h, x), np.asarray(states, np.float32),
                            np.asarray(inputs, np.float32))
    return np.asarray(dh), np.asarray(dx)


@eqx.filter_jit
def _jacobians(step, states, inputs):
    return jax.vmap(jax.jacfwd(step, argnums=(0, 1)))(states, inputs)


def eigen_decomposition(J: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Eigenvalues ``(M, n)`` sorted by |λ| descending, right eigenvectors ``(M, n, n)``
    (columns) and left eigenvectors ``(M, n, n)`` (rows) with ``L·R = I``, so that
    ``J = R·diag(λ)·L`` (non-normal J allowed)."""
    values, right = np.linalg.eig(np.asarray(J, np.float64))
    order = np.argsort(-np.abs(values), axis=-1, kind="stable")
    values = np.take_along_axis(values, order, axis=-1)
    right = np.take_along_axis(right, order[:, None, :], axis=-1)
    left = np.linalg.inv(right)
    return values, right, left
