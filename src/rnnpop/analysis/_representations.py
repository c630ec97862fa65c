"""Hidden states of stored networks on a task's probe inputs."""

from __future__ import annotations

import equinox as eqx
import jax
import numpy as np

from ..models import Network
from ..tasks import Task

def probe_inputs(task: Task, n_samples: int = 2000) -> np.ndarray:
    """The task's probe ``(n_trials, n_time, n_inputs)``: at least ``n_samples``
    trial×time samples covering every condition of the task (``task.probe``), the
    same for every network and every study."""
    if n_samples <= 0:
        raise ValueError(f"n_samples must be > 0, got {n_samples}")
    return task.probe(n_samples)


@eqx.filter_jit
def _run(networks: Network, inputs):
    return jax.lax.map(lambda net: jax.vmap(net)(inputs)[0], networks)


def representations(networks: Network, inputs: np.ndarray) -> np.ndarray:
    """States of stacked ``networks`` (leading axis N) on ``inputs (B, T, n_in)``.

    Returns ``(N, B, T, state_size)`` float32; flatten the middle axes for the
    ``(n_samples, n_units)`` form the similarity measures take.
    """
    return np.asarray(_run(networks, np.asarray(inputs, np.float32)))
