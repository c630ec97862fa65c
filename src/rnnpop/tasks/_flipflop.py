"""The n-bit flip-flop task (Sussillo & Barak 2013)."""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING

import numpy as np

from ._base import PROBE_SEED, Batch, require_positive, sample_batch

if TYPE_CHECKING:
    import jax


@dataclasses.dataclass(frozen=True)
class FlipFlop:
    """Remember the sign of the last pulse on each of ``n_bits`` channels.

    At each step, each input channel independently carries a pulse with probability
    ``p_flip``: +1 or -1, equally likely; otherwise 0. With ``initial_pulse`` (the
    default, as in Sussillo & Barak 2013 and FixedPointFinder's ``FlipFlopData``, which
    the paper follows) every channel also carries a pulse of random sign at t = 0, so
    every target is ±1; without it a channel's output is 0 before its first pulse.
    Output ``k`` holds the last non-zero value of input ``k``. Every output counts in
    the loss (the mask is all ones).

    Shapes: inputs ``(B, n_time, n_bits)``, targets and mask ``(B, n_time, n_bits)``.

    Example:
        >>> batch = FlipFlop(n_bits=3).sample(batch_size=4, seed=0)
        >>> batch.inputs.shape
        (4, 100, 3)
    """

    n_bits: int = 3
    n_time: int = 100
    p_flip: float = 0.05
    initial_pulse: bool = True
    name: str = dataclasses.field(default="flipflop", init=False)

    def __post_init__(self):
        require_positive("flipflop", n_bits=self.n_bits, n_time=self.n_time)
        if not 0.0 < self.p_flip <= 1.0:
            raise ValueError(f"flipflop.p_flip must be in (0, 1], got {self.p_flip!r}")
        if not isinstance(self.initial_pulse, bool):
            raise ValueError(f"flipflop.initial_pulse must be true or false, got {self.initial_pulse!r}")

    @property
    def n_inputs(self) -> int:
        return self.n_bits

    @property
    def n_outputs(self) -> int:
        return self.n_bits

    def generate(self, key: jax.Array, batch_size: int):
        """JAX definition of :meth:`sample`; returns ``(inputs, targets, mask)``."""
        import jax
        import jax.numpy as jnp

        from .._random import uniform

        # one uniform draw decides both: a pulse if u < p_flip, positive if u < p_flip / 2
        u = uniform(key, (batch_size, self.n_time, self.n_bits))
        inputs = jnp.where(u < self.p_flip, jnp.where(u < 0.5 * self.p_flip, 1.0, -1.0), 0.0)
        if self.initial_pulse:  # the sign at t = 0 from the same draw: u < 1/2 is +1
            inputs = inputs.at[:, 0, :].set(jnp.where(u[:, 0, :] < 0.5, 1.0, -1.0))
        # a sequential scan: XLA:CPU compiles it faster than an associative scan (benchmarks/compile_time.py)
        _, held = jax.lax.scan(_hold, jnp.zeros((batch_size, self.n_bits)), jnp.swapaxes(inputs, 0, 1))
        targets = jnp.swapaxes(held, 0, 1)
        return inputs, targets, jnp.ones_like(targets)

    def sample(self, batch_size: int, seed: int) -> Batch:
        return sample_batch(self, batch_size, seed)

    def conditions(self) -> np.ndarray:
        """Static inputs, ``(1, n_bits)``: the pulses are transient, so all zero."""
        return np.zeros((1, self.n_bits), np.float32)

    def probe(self, n_samples: int) -> np.ndarray:
        """The probe inputs ``(n_trials, n_time, n_bits)``, the same for every network.

        Trial k starts with a pulse on every bit that sets the state to corner
        ``k mod 2**n_bits`` of the cube (bit b of k: +1, else −1), then carries random
        pulses with probability ``p_flip``; ``n_trials = max(2**n_bits,
        ceil(n_samples / n_time))``, so every corner is visited from t = 0 on.
        """
        n_trials = max(2**self.n_bits, math.ceil(n_samples / self.n_time))
        rng = np.random.default_rng(PROBE_SEED)
        u = rng.random((n_trials, self.n_time, self.n_bits))
        inputs = np.where(u < self.p_flip, np.where(u < 0.5 * self.p_flip, 1.0, -1.0), 0.0)
        corner = np.arange(n_trials)[:, None] % 2**self.n_bits
        inputs[:, 0, :] = 2.0 * ((corner >> np.arange(self.n_bits)) & 1) - 1.0
        return inputs.astype(np.float32)

    @property
    def readout_grid(self) -> tuple[float, ...]:
        """The values fixed-point readouts are snapped to before they are ordered or
        matched: the two memory states and 0, where the saddles between them sit."""
        return (-1.0, 0.0, 1.0)


def _hold(last: jax.Array, pulse: jax.Array) -> tuple[jax.Array, jax.Array]:
    """One step of the target: ``(B, n_bits)`` last value, pulse -> the value now."""
    import jax.numpy as jnp

    now = jnp.where(pulse != 0, pulse, last)
    return now, now
