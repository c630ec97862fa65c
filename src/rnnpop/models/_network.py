"""A recurrent network: a cell unrolled over time plus a linear readout of h."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from ._cells import ACTIVATIONS, CELLS
from ._init import input_weight


class Network(eqx.Module):
    """``cell`` unrolled with ``lax.scan`` from a zero state, read out linearly.

    ``y_t = W_out h_t + b_out`` where ``h_t`` is the cell's hidden vector (for the
    LSTM, the ``h`` half of its ``[h; c]`` state). Readout init ``N(0, 1/n_units)``.

    Example:
        >>> net = Network.create("gru", "tanh", n_inputs=3, n_units=16, n_outputs=3,
        ...                      key=jax.random.key(0))
        >>> states, outputs = net(jnp.zeros((100, 3)))   # (100, 16), (100, 3)
    """

    cell: eqx.Module
    w_out: jax.Array  # (n_outputs, n_units)
    b_out: jax.Array  # (n_outputs,)

    @classmethod
    def create(cls, cell: str, activation: str, *, n_inputs: int, n_units: int,
               n_outputs: int, key: jax.Array) -> "Network":
        if cell not in CELLS:
            raise ValueError(f"cell must be one of {sorted(CELLS)}, got {cell!r}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        k_cell, k_out = jax.random.split(key)
        return cls(
            cell=CELLS[cell](n_inputs, n_units, activation, key=k_cell),
            w_out=input_weight(k_out, n_outputs, n_units),
            b_out=jnp.zeros((n_outputs,), jnp.float32),
        )

    @property
    def state_size(self) -> int:
        return self.cell.state_size

    def readout(self, states: jax.Array) -> jax.Array:
        """``states (..., state_size) -> outputs (..., n_outputs)``."""
        return states[..., : self.cell.n_units] @ self.w_out.T + self.b_out

    def step(self, h: jax.Array, x: jax.Array) -> jax.Array:
        """The update rule ``h_next = F(h, x)`` for the dynamics analyses."""
        return self.cell(x, h)

    def __call__(self, inputs: jax.Array, h0: jax.Array | None = None) -> tuple[jax.Array, jax.Array]:
        """Unroll over ``inputs (T, n_in)``; returns ``states (T, state_size)``, ``outputs (T, n_out)``.

        ``states[t]`` is the state after reading ``inputs[t]``.
        """
        if h0 is None:
            h0 = jnp.zeros((self.state_size,), inputs.dtype)
        drive = self.cell.project(inputs)  # all steps in one matmul: (T, n_blocks·n)

        def body(h, xp):
            h = self.cell.recur(xp, h)
            return h, h

        _, states = jax.lax.scan(body, h0, drive)
        return states, self.readout(states)

    def batch(self, inputs: jax.Array, matmul: str = "float32") -> tuple[jax.Array, jax.Array]:
        """Unroll ``inputs (B, T, n_in)`` from zero states: ``states (B, T, state_size)``,
        ``outputs (B, T, n_out)`` — ``jax.vmap(self)(inputs)``, with a hand-written
        backward pass for the cells that have one (``_recurrence``). ``matmul="bfloat16"``:
        the recurrent products from bfloat16 operands, accumulated in float32 (``_recurrence.unroll``)."""
        from ._recurrence import unroll

        result = unroll(self, jnp.swapaxes(inputs, 0, 1), matmul)  # time-major (T, B, ·)
        if result is None:
            return jax.vmap(self)(inputs)
        # a caller of the outputs alone (the trainer's loss) transposes only them
        states, outputs = result
        return jnp.swapaxes(states, 0, 1), jnp.swapaxes(outputs, 0, 1)
