"""Context-dependent integration (Mante, Sussillo et al. 2013)."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

from ._base import Batch, require_positive, sample_batch

if TYPE_CHECKING:
    import jax


@dataclasses.dataclass(frozen=True)
class ContextIntegration:
    """Integrate the stream that the context cues; ignore the others.

    Input layout, ``n_inputs = 2 · n_contexts``: channels ``0 .. n_contexts-1`` are
    the noisy streams, channels ``n_contexts .. 2·n_contexts-1`` the one-hot context
    (constant over the trial). Stream ``k`` at step ``t`` is
    ``(μ_k + noise_std·ε_{k,t}) / n_time`` with ``μ_k ~ U(-1, 1)`` fixed per trial and
    ``ε ~ N(0, 1)``. The context ``c`` is uniform over the streams. The target is the
    running sum of stream ``c`` (no further scaling), so it ends near ``μ_c``. The
    mask is all ones.

    Shapes: inputs ``(B, n_time, 2·n_contexts)``, targets and mask ``(B, n_time, 1)``.
    """

    n_contexts: int = 2
    n_time: int = 100
    noise_std: float = 1.0
    name: str = dataclasses.field(default="context", init=False)

    def __post_init__(self):
        require_positive("context", n_contexts=self.n_contexts, n_time=self.n_time)
        if not self.noise_std >= 0:
            raise ValueError(f"context.noise_std must be >= 0, got {self.noise_std!r}")

    @property
    def n_inputs(self) -> int:
        return 2 * self.n_contexts

    @property
    def n_outputs(self) -> int:
        return 1

    def generate(self, key: jax.Array, batch_size: int):
        """JAX definition of :meth:`sample`; returns ``(inputs, targets, mask)``."""
        import jax
        import jax.numpy as jnp

        from .._random import normal, uniform

        k_mean, k_noise, k_context = jax.random.split(key, 3)
        mean = uniform(k_mean, (batch_size, 1, self.n_contexts), -1.0, 1.0)
        noise = normal(k_noise, (batch_size, self.n_time, self.n_contexts))
        streams = (mean + self.noise_std * noise) / self.n_time
        context = jax.random.randint(k_context, (batch_size,), 0, self.n_contexts)
        onehot = jax.nn.one_hot(context, self.n_contexts)
        cues = jnp.broadcast_to(onehot[:, None, :], (batch_size, self.n_time, self.n_contexts))
        cued = jnp.sum(streams * onehot[:, None, :], axis=-1, keepdims=True)
        targets = jnp.cumsum(cued, axis=1)
        inputs = jnp.concatenate([streams, cues], axis=-1)
        return inputs.astype(jnp.float32), targets.astype(jnp.float32), jnp.ones_like(targets)

    def sample(self, batch_size: int, seed: int) -> Batch:
        return sample_batch(self, batch_size, seed)

    def conditions(self) -> np.ndarray:
        """Static input of each context, ``(n_contexts, 2·n_contexts)``: streams zero."""
        eye = np.eye(self.n_contexts, dtype=np.float32)
        return np.concatenate([np.zeros_like(eye), eye], axis=1)

    def probe(self, n_samples: int) -> np.ndarray:
        """The probe inputs ``(n_trials, n_time, 2·n_contexts)``: every context × every
        combination of stream biases μ from a grid of g values evenly spaced over
        [−1, 1] (g ≥ 3, the smallest giving at least ``n_samples`` samples), without
        noise, so the trajectories are the condition averages of Mante et al. (2013):
        ``n_trials = n_contexts · g**n_contexts``.
        """
        per_grid = n_samples / (self.n_time * self.n_contexts)
        g = 3
        while g**self.n_contexts < per_grid:
            g += 1
        grid = np.linspace(-1.0, 1.0, g)
        biases = np.stack(np.meshgrid(*[grid] * self.n_contexts, indexing="ij"), -1).reshape(-1, self.n_contexts)
        trials = [np.concatenate([mu / self.n_time, np.eye(self.n_contexts)[c]])
                  for c in range(self.n_contexts) for mu in biases]
        return np.repeat(np.asarray(trials, np.float32)[:, None, :], self.n_time, axis=1)

    @property
    def readout_grid(self) -> None:
        return None
