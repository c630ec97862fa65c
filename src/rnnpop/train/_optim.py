"""The paper's optimiser, built per network from traced hyperparameters."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax


def make_optimizer(learning_rate, decay, momentum, clip, *, decay_steps: int) -> optax.GradientTransformation:
    """Global-norm clipping, then SGD with momentum on ``lr·decay^(k/decay_steps)``.

    The arguments may be traced scalars, so one definition serves every network of a
    vmapped or mapped group. (``optax.exponential_decay`` branches on its arguments in
    Python, hence the explicit schedule.)
    """

    def schedule(count):
        return learning_rate * decay ** (count.astype(jnp.float32) / decay_steps)

    return optax.chain(optax.clip_by_global_norm(clip), optax.sgd(schedule, momentum=momentum))


def weight_penalty(params) -> jax.Array:
    """``Σ W²`` over every weight matrix (leaves of rank ≥ 2); biases are not penalised."""
    leaves = [x for x in jax.tree_util.tree_leaves(params) if getattr(x, "ndim", 0) >= 2]
    return sum(jnp.sum(jnp.square(x)) for x in leaves)
