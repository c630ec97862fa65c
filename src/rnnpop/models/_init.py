"""Weight initialisers (documented in each cell's docstring)."""

from __future__ import annotations

import jax
import jax.numpy as jnp


def input_weight(key: jax.Array, n_out: int, n_in: int) -> jax.Array:
    """LeCun normal, ``(n_out, n_in)``: entries ``N(0, 1/n_in)``."""
    return jax.random.normal(key, (n_out, n_in), jnp.float32) / jnp.sqrt(n_in)


def recurrent_weight(key: jax.Array, n: int) -> jax.Array:
    """A random orthogonal ``(n, n)`` matrix (Haar measure), spectral radius 1."""
    q, r = jnp.linalg.qr(jax.random.normal(key, (n, n), jnp.float32))
    return q * jnp.sign(jnp.diagonal(r))[None, :]


def stacked_recurrent(key: jax.Array, n_blocks: int, n: int) -> jax.Array:
    """``n_blocks`` independent orthogonal blocks stacked, ``(n_blocks·n, n)``."""
    return jnp.concatenate([recurrent_weight(k, n) for k in jax.random.split(key, n_blocks)])
