"""Random draws that compile fast on XLA:CPU and equal ``jax.random``'s, value for value.

With JAX's partitionable threefry (the default) a draw of an n-dimensional shape
builds its counters from one iota per dimension, which XLA:CPU compiles several times
more slowly than a flat draw (every group's training program holds one; the flip-flop
batch in ``benchmarks/compile_time.py`` shows the effect). The counter is
the element's linear index either way, so drawing flat and reshaping gives the same
numbers (``tests/test_random.py``).
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp


def uniform(key: jax.Array, shape: tuple[int, ...], minval: float = 0.0, maxval: float = 1.0) -> jax.Array:
    """``jax.random.uniform(key, shape, float32, minval, maxval)``, drawn flat."""
    return jax.random.uniform(key, (math.prod(shape),), jnp.float32, minval, maxval).reshape(shape)


def normal(key: jax.Array, shape: tuple[int, ...]) -> jax.Array:
    """``jax.random.normal(key, shape, float32)``, drawn flat."""
    return jax.random.normal(key, (math.prod(shape),), jnp.float32).reshape(shape)
