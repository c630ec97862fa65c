"""Weight initialisers (documented in each cell's docstring)."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from .._random import normal


def input_weight(key: jax.Array, n_out: int, n_in: int) -> jax.Array:
    """LeCun normal, ``(n_out, n_in)``: entries ``N(0, 1/n_in)``."""
    return normal(key, (n_out, n_in)) / jnp.sqrt(n_in)


def recurrent_weight(key: jax.Array, n: int) -> jax.Array:
    """A random orthogonal ``(n, n)`` matrix (Haar measure), spectral radius 1."""
    q, r = jnp.linalg.qr(normal(key, (n, n)))
    return q * jnp.sign(jnp.diagonal(r))[None, :]


def stacked_recurrent(key: jax.Array, n_blocks: int, n: int) -> jax.Array:
    """``n_blocks`` independent orthogonal blocks stacked, ``(n_blocks·n, n)``."""
    blocks = jax.vmap(lambda k: recurrent_weight(k, n))(jax.random.split(key, n_blocks))  # one kernel: compiles faster
    return blocks.reshape(n_blocks * n, n)
