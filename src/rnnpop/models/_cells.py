"""Recurrent cells, each written for one example.

Every cell splits its step into ``project(x) -> xp`` (the input drive, affine in x,
so a network applies it to all time steps at once outside the time loop) and
``recur(xp, h) -> h_next``; ``cell(x, h) = cell.recur(cell.project(x), h)``.
σ is the sigmoid, φ the cell's activation (``tanh`` or ``relu``).

Initialisation (all cells): input weights LeCun normal ``N(0, 1/n_in)``, each
recurrent block a random orthogonal matrix, biases zero, except the LSTM forget
gate bias and the UGRNN update-gate bias, which start at +1 (remember by default).
"""

from __future__ import annotations

from typing import Callable, ClassVar

import equinox as eqx
import jax
import jax.numpy as jnp

from ._init import input_weight, stacked_recurrent
from ._names import ACTIVATION_NAMES, CELL_NAMES

ACTIVATIONS: dict[str, Callable[[jax.Array], jax.Array]] = dict(zip(ACTIVATION_NAMES, (jnp.tanh, jax.nn.relu), strict=True))


def _check(activation: str, n_units: int, n_inputs: int) -> None:
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
    if n_units <= 0 or n_inputs <= 0:
        raise ValueError(f"n_units and n_inputs must be > 0, got {n_units}, {n_inputs}")


class _GatedCell(eqx.Module):
    """Shared parameters: ``n_blocks`` stacked affine maps of x and of h."""

    w_x: jax.Array  # (n_blocks·n, n_in)
    w_h: jax.Array  # (n_blocks·n, n)
    b: jax.Array  # (n_blocks·n,)
    activation: str = eqx.field(static=True)
    n_blocks: ClassVar[int] = 1
    forget_bias_block: ClassVar[int | None] = None

    def __init__(self, n_inputs: int, n_units: int, activation: str = "tanh", *, key: jax.Array):
        _check(activation, n_units, n_inputs)
        kx, kh = jax.random.split(key)
        m = self.n_blocks * n_units
        self.w_x = input_weight(kx, m, n_inputs)
        self.w_h = stacked_recurrent(kh, self.n_blocks, n_units)
        b = jnp.zeros((m,), jnp.float32)
        if self.forget_bias_block is not None:
            i = self.forget_bias_block
            b = b.at[i * n_units:(i + 1) * n_units].set(1.0)
        self.b = b
        self.activation = activation

    @property
    def n_units(self) -> int:
        return self.w_h.shape[-1]

    @property
    def state_size(self) -> int:
        return self.n_units

    @property
    def phi(self):
        return ACTIVATIONS[self.activation]

    def project(self, x: jax.Array) -> jax.Array:
        """Input drive ``W_x x + b``: ``(..., n_in) -> (..., n_blocks·n)``."""
        return x @ self.w_x.T + self.b

    def __call__(self, x: jax.Array, h: jax.Array) -> jax.Array:
        """One step: ``x (n_in,)``, ``h (state_size,)`` -> ``(state_size,)``."""
        return self.recur(self.project(x), h)


class Vanilla(_GatedCell):
    """``h' = φ(W_h h + W_x x + b)``."""

    n_blocks: ClassVar[int] = 1

    def recur(self, xp: jax.Array, h: jax.Array) -> jax.Array:
        return self.phi(self.w_h @ h + xp)


class UGRNN(_GatedCell):
    """Update-gate RNN (Collins et al. 2017).

    ``c = φ(W_ch h + W_cx x + b_c)``, ``g = σ(W_gh h + W_gx x + b_g)``,
    ``h' = g ⊙ h + (1 − g) ⊙ c``. Block order in the stacked weights: (c, g).
    """

    n_blocks: ClassVar[int] = 2
    forget_bias_block: ClassVar[int | None] = 1

    def recur(self, xp: jax.Array, h: jax.Array) -> jax.Array:
        c, g = jnp.split(self.w_h @ h + xp, 2)
        g = jax.nn.sigmoid(g)
        return g * h + (1.0 - g) * self.phi(c)


class GRU(_GatedCell):
    """Gated recurrent unit (Cho et al. 2014), reset applied before the recurrent matrix.

    ``z = σ(W_zh h + W_zx x + b_z)``, ``r = σ(W_rh h + W_rx x + b_r)``,
    ``c = φ(W_ch (r ⊙ h) + W_cx x + b_c)``, ``h' = z ⊙ h + (1 − z) ⊙ c``.
    Block order in the stacked weights: (z, r, c).
    """

    n_blocks: ClassVar[int] = 3

    def recur(self, xp: jax.Array, h: jax.Array) -> jax.Array:
        n = self.n_units
        xz, xr, xc = jnp.split(xp, 3)
        zr = self.w_h[: 2 * n] @ h
        z = jax.nn.sigmoid(zr[:n] + xz)
        r = jax.nn.sigmoid(zr[n:] + xr)
        c = self.phi(self.w_h[2 * n:] @ (r * h) + xc)
        return z * h + (1.0 - z) * c


class LSTM(_GatedCell):
    """Long short-term memory (Hochreiter & Schmidhuber 1997), state ``[h; c]``.

    ``i, f, o = σ(W_{i,f,o}h h + W_{i,f,o}x x + b)``, ``u = φ(W_uh h + W_ux x + b_u)``,
    ``c' = f ⊙ c + i ⊙ u``, ``h' = o ⊙ φ(c')``. The state vector every analysis sees
    is the concatenation ``[h; c]`` of size ``2·n_units``. Block order: (i, f, o, u).
    """

    n_blocks: ClassVar[int] = 4
    forget_bias_block: ClassVar[int | None] = 1

    @property
    def state_size(self) -> int:
        return 2 * self.n_units

    def recur(self, xp: jax.Array, state: jax.Array) -> jax.Array:
        h, c = jnp.split(state, 2)
        i, f, o, u = jnp.split(self.w_h @ h + xp, 4)
        c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * self.phi(u)
        h = jax.nn.sigmoid(o) * self.phi(c)
        return jnp.concatenate([h, c])


class TorchGRU(_GatedCell):
    """PyTorch's GRU (``torch.nn.GRU``): the reset gate applied *after* the recurrent matrix.

    ``r = σ(W_rh h + W_rx x + b_r)``, ``z = σ(W_zh h + W_zx x + b_z)``,
    ``c = φ(W_cx x + b_c + r ⊙ (W_ch h + b_ch))``, ``h' = z ⊙ h + (1 − z) ⊙ c``.
    Block order in the stacked weights: (r, z, c), as PyTorch's; ``b`` holds the summed
    input and recurrent biases of r and z and the input bias of c, ``b_hc`` the recurrent
    bias of c (inside the reset). Not Cho et al.'s GRU (``"gru"``): a different function.
    """

    b_hc: jax.Array  # (n,)
    n_blocks: ClassVar[int] = 3

    def __init__(self, n_inputs: int, n_units: int, activation: str = "tanh", *, key: jax.Array):
        super().__init__(n_inputs, n_units, activation, key=key)
        self.b_hc = jnp.zeros((n_units,), jnp.float32)

    def recur(self, xp: jax.Array, h: jax.Array) -> jax.Array:
        n = self.n_units
        rz = self.w_h[: 2 * n] @ h + xp[: 2 * n]
        r, z = jax.nn.sigmoid(rz[:n]), jax.nn.sigmoid(rz[n:])
        c = self.phi(xp[2 * n:] + r * (self.w_h[2 * n:] @ h + self.b_hc))
        return z * h + (1.0 - z) * c


CELLS: dict[str, type[_GatedCell]] = dict(zip(CELL_NAMES, (Vanilla, UGRNN, GRU, LSTM, TorchGRU), strict=True))


def cell_name(cell) -> str:
    """The name in :data:`CELLS` of ``cell``'s type; ``ValueError`` for any other module."""
    for name, cls in CELLS.items():
        if type(cell) is cls:
            return name
    raise ValueError(f"unsupported cell {type(cell).__name__}; rnnpop networks have cells {sorted(CELLS)}")
