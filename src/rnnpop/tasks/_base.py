"""The task interface shared by every task generator."""

from __future__ import annotations

import dataclasses
import functools
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    import jax


PROBE_SEED = 1_000_003
"""Seeds the random parts of every task's probe: the same probe for every network and study."""


@dataclasses.dataclass(frozen=True)
class Batch:
    """One batch of trials, as float32 NumPy arrays.

    Attributes:
        inputs: ``(batch, time, n_inputs)``.
        targets: ``(batch, time, n_outputs)``.
        mask: ``(batch, time, n_outputs)``; 1 where the loss counts, 0 elsewhere.
    """

    inputs: np.ndarray
    targets: np.ndarray
    mask: np.ndarray


@runtime_checkable
class Task(Protocol):
    """A task: a seeded generator of trials plus the static inputs of its conditions.

    ``generate(key, batch_size)`` is the JAX definition (traceable, used inside the
    jitted trainer); ``sample(batch_size, seed)`` is the same batch as NumPy arrays.
    ``conditions()`` are the static inputs under which fixed points are sought;
    ``probe(n_samples)`` the inputs ``(trials, time, n_inputs)``, at least ``n_samples``
    trial×time samples covering every condition, on which networks are compared;
    ``readout_grid`` the output values fixed-point readouts snap to when points are
    ordered (``None``: order by the raw readout).
    """

    name: str
    n_time: int  # steps per trial

    @property
    def n_inputs(self) -> int: ...

    @property
    def n_outputs(self) -> int: ...

    def generate(self, key: jax.Array, batch_size: int) -> tuple[jax.Array, jax.Array, jax.Array]: ...

    def sample(self, batch_size: int, seed: int) -> Batch: ...

    def conditions(self) -> np.ndarray: ...

    def probe(self, n_samples: int) -> np.ndarray: ...

    @property
    def readout_grid(self) -> tuple[float, ...] | None: ...


def sample_batch(task: Task, batch_size: int, seed: int) -> Batch:
    """``task.generate`` with the key of ``seed``, returned as NumPy float32 arrays."""
    if batch_size <= 0:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size}")
    import jax

    inputs, targets, mask = _generate_jit()(task, batch_size, jax.random.key(seed))
    return Batch(*(np.asarray(a, dtype=np.float32) for a in (inputs, targets, mask)))


@functools.cache
def _generate_jit():
    """``task.generate`` jitted, built on first use so that importing a task does not import JAX."""
    import jax

    return jax.jit(lambda task, batch_size, key: task.generate(key, batch_size), static_argnums=(0, 1))


def require_positive(owner: str, **values: float) -> None:
    """Raise ``ValueError`` naming the first field of ``owner`` that is not > 0."""
    for name, value in values.items():
        if not value > 0:
            raise ValueError(f"{owner}.{name} must be > 0, got {value!r}")
