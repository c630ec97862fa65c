"""Hidden states of stored networks on a task's probe inputs."""

from __future__ import annotations

import math

import equinox as eqx
import jax
import numpy as np

from ..models import Network
from ..tasks import Task

PROBE_SEED = 1_000_003
"""The probe batch is the same for every network and every study."""


def probe_inputs(task: Task, n_samples: int = 1000, *, seed: int = PROBE_SEED) -> np.ndarray:
    """A fixed, seeded probe batch ``(n_trials, n_time, n_inputs)`` with at least
    ``n_samples`` trial×time samples (``ceil(n_samples / n_time)`` trials)."""
    if n_samples <= 0:
        raise ValueError(f"n_samples must be > 0, got {n_samples}")
    return task.sample(math.ceil(n_samples / task.n_time), seed=seed).inputs


@eqx.filter_jit
def _run(networks: Network, inputs):
    return jax.lax.map(lambda net: jax.vmap(net)(inputs)[0], networks)


def representations(networks: Network, inputs: np.ndarray) -> np.ndarray:
    """States of stacked ``networks`` (leading axis N) on ``inputs (B, T, n_in)``.

    Returns ``(N, B, T, state_size)`` float32; flatten the middle axes for the
    ``(n_samples, n_units)`` form the similarity measures take.
    """
    return np.asarray(_run(networks, np.asarray(inputs, np.float32)))
