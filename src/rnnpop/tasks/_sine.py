"""The frequency-cued sine-wave generation task."""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING

import numpy as np

from ._base import Batch, require_positive, sample_batch

if TYPE_CHECKING:
    import jax


@dataclasses.dataclass(frozen=True)
class SineWave:
    """Generate ``sin(ω·t)`` from a static input that names the frequency ω.

    Each trial draws ω (radians per step) uniformly from ``n_frequencies`` values
    evenly spaced over ``[omega_min, omega_max]``. The input is the constant
    ``ω / omega_max`` at every step; the target is ``sin(ω·t)`` for
    ``t = 0 .. n_time-1``; the mask is all ones.

    Shapes: inputs ``(B, n_time, 1)``, targets and mask ``(B, n_time, 1)``.
    """

    n_time: int = 500
    n_frequencies: int = 51
    omega_min: float = 0.1
    omega_max: float = 0.6
    name: str = dataclasses.field(default="sine", init=False)

    def __post_init__(self):
        require_positive("sine", n_time=self.n_time, n_frequencies=self.n_frequencies,
                         omega_min=self.omega_min)
        if not self.omega_max > self.omega_min:
            raise ValueError(f"sine.omega_max must be > omega_min={self.omega_min}, "
                             f"got {self.omega_max!r}")

    @property
    def n_inputs(self) -> int:
        return 1

    @property
    def n_outputs(self) -> int:
        return 1

    @property
    def frequencies(self) -> np.ndarray:
        """The frequency grid ω, ``(n_frequencies,)`` radians per step."""
        return np.linspace(self.omega_min, self.omega_max, self.n_frequencies, dtype=np.float32)

    def generate(self, key: jax.Array, batch_size: int):
        """JAX definition of :meth:`sample`; returns ``(inputs, targets, mask)``."""
        import jax
        import jax.numpy as jnp

        index = jax.random.randint(key, (batch_size,), 0, self.n_frequencies)
        omega = jnp.asarray(self.frequencies)[index]
        t = jnp.arange(self.n_time, dtype=jnp.float32)
        inputs = jnp.broadcast_to((omega / self.omega_max)[:, None, None], (batch_size, self.n_time, 1))
        targets = jnp.sin(omega[:, None] * t[None, :])[..., None]
        return inputs.astype(jnp.float32), targets.astype(jnp.float32), jnp.ones_like(targets)

    def sample(self, batch_size: int, seed: int) -> Batch:
        return sample_batch(self, batch_size, seed)

    def conditions(self) -> np.ndarray:
        """Static input of each frequency, ``(n_frequencies, 1)``."""
        return (self.frequencies / self.omega_max)[:, None].astype(np.float32)

    def probe(self, n_samples: int) -> np.ndarray:
        """The probe inputs ``(n_trials, n_time, 1)``: one whole trial per frequency of
        a grid that refines the task's by a factor k (``k·(n_frequencies − 1) + 1``
        values, every trained frequency among them), k the smallest giving at least
        ``n_samples`` samples. The task is deterministic given ω, so a finer grid, not
        repeated trials, is what adds samples.
        """
        refine = max(1, math.ceil((math.ceil(n_samples / self.n_time) - 1) / max(self.n_frequencies - 1, 1)))
        omega = np.linspace(self.omega_min, self.omega_max, refine * (self.n_frequencies - 1) + 1)
        values = (omega / self.omega_max).astype(np.float32)
        return np.broadcast_to(values[:, None, None], (len(values), self.n_time, 1)).copy()

    @property
    def readout_grid(self) -> None:
        return None
