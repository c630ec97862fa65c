"""A batch of trials through a network's recurrence and readout, with hand-written backward passes.

Autodiff through ``lax.scan`` adds ``δ_t h_{t−1}ᵀ`` to the recurrent weight gradient at
every reverse step (a thin product at each step, memory-bound at 256 units). The passes
here carry only the state cotangents backwards and take ``dW_h = Σ_t δ_t h_{t−1}ᵀ`` as one
product over all steps and trials afterwards (`benchmarks/weight_gradient.py`: 1.2–2.1×
per gradient).

On a CPU (float32, ``n_units`` a multiple of 8, a C++ compiler at hand) both loops are
native kernels (``rnnpop/_kernels/recurrence.cc``): every step's input projection, recurrent
product, elementwise work and readout in one call for all T steps, and backwards the gradients
of W_h, W_x, b, W_out, b_out and the inputs, for the vanilla, UGRNN, GRU and LSTM cells
(`benchmarks/train_backward.py`), and on a CPU with AVX512-BF16 optionally with bfloat16
operands for the recurrent products (``TrainConfig.matmul``). Elsewhere the vanilla and LSTM
cells have the passes written in JAX below (on the projected inputs, all steps in one
product), and other cells use autodiff.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
from jax.custom_derivatives import SymbolicZero

from .. import _native
from ._cells import ACTIVATIONS, GRU, LSTM, UGRNN, Vanilla

_NATIVE_CELLS = {Vanilla: 0, UGRNN: 1, GRU: 2, LSTM: 3}  # the kernels' cell codes
_SAVED = (0, 2, 3, 4)  # blocks of n the forward kernel keeps per step for the backward one


def unroll(net, inputs: jax.Array, matmul: str = "float32") -> tuple[jax.Array, jax.Array] | None:
    """A network's recurrence and readout over ``inputs (T, B, n_in)`` from zero states:
    ``states (T, B, state_size)`` and ``outputs (T, B, n_out)``, time-major (each step's trials
    contiguous, as the loops read and write them); ``None`` for a cell without a hand-written
    pass. ``matmul="bfloat16"`` rounds the recurrent products' operands (W_h, the states, the
    cotangents) to bfloat16 and accumulates in float32, forward and backward; only the native
    kernels do that (:func:`bf16_unsupported` says why not, where they cannot)."""
    cell = net.cell
    code = _NATIVE_CELLS.get(type(cell))
    weights = (cell.w_h, cell.w_x, cell.b, net.w_out, net.b_out)
    if matmul == "bfloat16":
        if (why := bf16_unsupported(type(cell), cell.n_units, cell.w_h.dtype)) is not None:
            raise ValueError(why)
        return _native_unroll(code, cell.activation, True, *weights, inputs)
    if code is not None and cell.n_units % 8 == 0 and _native.used_for(*weights, inputs):
        return _native_unroll(code, cell.activation, False, *weights, inputs)
    passes = {Vanilla: _vanilla, LSTM: _lstm}.get(type(cell))
    if passes is None:
        return None
    states = passes(cell.activation, cell.w_h, cell.project(inputs))  # drive (T, B, n_blocks·n)
    return states, net.readout(states)


def bf16_unsupported(cell_type, n_units: int, dtype=np.float32) -> str | None:
    """Why ``train.matmul = "bfloat16"`` cannot run this cell here, or ``None`` where it can."""
    if cell_type not in _NATIVE_CELLS:
        return (f"train.matmul = 'bfloat16' is for the vanilla, ugrnn, gru and lstm cells, "
                f"not {cell_type.__name__}; use 'float32'")
    if n_units % 16 or np.dtype(dtype) != np.float32:
        return f"train.matmul = 'bfloat16' needs float32 networks of a width that is a multiple of 16, got {n_units}"
    if not (jax.default_backend() == "cpu" and _native.has_bf16()):
        return ("train.matmul = 'bfloat16' needs rnnpop's native kernels on a CPU with AVX512-BF16 "
                "(and a C++ compiler); this machine has none: use 'float32'")
    return None


def _phi_prime(activation: str, y):
    """φ'(x) from y = φ(x)."""
    return 1.0 - y * y if activation == "tanh" else (y > 0).astype(y.dtype)


def _previous(states):
    """``states`` shifted one step later, the zero state first."""
    return jnp.concatenate([jnp.zeros_like(states[:1]), states[:-1]])


# --- vanilla: h' = φ(W_h h + d) -------------------------------------------------------

@functools.partial(jax.custom_vjp, nondiff_argnums=(0,))
def _vanilla(activation, w_h, drive):
    return _vanilla_forward(activation, w_h, drive)[0]


def _vanilla_forward(activation, w_h, drive):
    def body(h, d):
        h = ACTIVATIONS[activation](h @ w_h.T + d)
        return h, h

    states = jax.lax.scan(body, jnp.zeros(drive.shape[1:2] + w_h.shape[1:], drive.dtype), drive)[1]
    return states, (w_h, states)


def _vanilla_backward(activation, saved, g):
    w_h, states = saved

    def body(dh, inputs):
        g_t, h_t = inputs
        delta = (g_t + dh) * _phi_prime(activation, h_t)
        return delta @ w_h, delta

    _, deltas = jax.lax.scan(body, jnp.zeros_like(g[0]), (g, states), reverse=True)
    return jnp.einsum("tbi,tbj->ij", deltas, _previous(states)), deltas


_vanilla.defvjp(_vanilla_forward, _vanilla_backward)


# --- LSTM: state [h; c], blocks (i, f, o, u) --------------------------------------------

@functools.partial(jax.custom_vjp, nondiff_argnums=(0,))
def _lstm(activation, w_h, drive):
    return _lstm_forward(activation, w_h, drive)[0]


def _lstm_forward(activation, w_h, drive):
    n = w_h.shape[1]

    def body(state, d):
        h, c = state
        i, f, o, u = jnp.split(h @ w_h.T + d, 4, axis=-1)
        i, f, o, u = jax.nn.sigmoid(i), jax.nn.sigmoid(f), jax.nn.sigmoid(o), ACTIVATIONS[activation](u)
        c = f * c + i * u
        phi_c = ACTIVATIONS[activation](c)
        h = o * phi_c
        return (h, c), (h, c, i, f, o, u, phi_c)

    zeros = jnp.zeros((drive.shape[1], n), drive.dtype)
    _, (h, c, *gates) = jax.lax.scan(body, (zeros, zeros), drive)
    return jnp.concatenate([h, c], axis=-1), (w_h, h, c, gates)


def _lstm_backward(activation, saved, g):
    w_h, h, c, (i, f, o, u, phi_c) = saved
    n = w_h.shape[1]

    def body(carry, inputs):
        dh, dc = carry
        g_t, c_before, i, f, o, u, phi_c = inputs
        dh = g_t[..., :n] + dh
        dc = g_t[..., n:] + dc + dh * o * _phi_prime(activation, phi_c)
        delta = jnp.concatenate([dc * u * i * (1.0 - i), dc * c_before * f * (1.0 - f),
                                 dh * phi_c * o * (1.0 - o), dc * i * _phi_prime(activation, u)], axis=-1)
        return (delta @ w_h, dc * f), delta

    zeros = jnp.zeros_like(h[0])
    _, deltas = jax.lax.scan(body, (zeros, zeros), (g, _previous(c), i, f, o, u, phi_c), reverse=True)
    return jnp.einsum("tbi,tbj->ij", deltas, _previous(h)), deltas


_lstm.defvjp(_lstm_forward, _lstm_backward)


# --- native kernels: every cell of _NATIVE_CELLS, with the readout ---------------------------

def _kernel_attributes(code: int, activation: str, bf16: bool) -> dict:
    return {"cell": np.int64(code), "activation": np.int64(list(ACTIVATIONS).index(activation)),
            "bf16": np.int64(bf16)}


@functools.partial(jax.custom_vjp, nondiff_argnums=(0, 1, 2))
def _native_unroll(code, activation, bf16, w_h, w_x, b, w_out, b_out, inputs):
    return _native_call(code, activation, bf16, w_h, w_x, b, w_out, b_out, inputs)[:2]


def _native_call(code, activation, bf16, w_h, w_x, b, w_out, b_out, inputs):
    """-> states (T, B, S), outputs (T, B, n_out), saved (T, B, k·n)."""
    (steps, trials, _), n = inputs.shape, w_h.shape[1]
    shapes = [jax.ShapeDtypeStruct((steps, trials, size), inputs.dtype)
              for size in (2 * n if code == 3 else n, w_out.shape[0], _SAVED[code] * n)]
    return jax.ffi.ffi_call("rnnpop_recurrence", shapes, vmap_method="broadcast_all")(
        w_h.T, w_x.T, b, w_out, b_out, inputs, **_kernel_attributes(code, activation, bf16))


def _native_forward(code, activation, bf16, *primals):
    # symbolic zeros (below): each primal comes as (value, perturbed)
    w_h, w_x, b, w_out, b_out, inputs = (p.value for p in primals)
    states, outputs, saved = _native_call(code, activation, bf16, w_h, w_x, b, w_out, b_out, inputs)
    return (states, outputs), (w_h, w_x, w_out, inputs, states, saved)


def _native_backward(code, activation, bf16, residuals, cotangents):
    w_h, w_x, w_out, inputs, states, saved = residuals
    g, g_outputs = cotangents
    # a loss on the outputs alone (the trainer's) leaves the states' cotangent a symbolic zero:
    # the kernel then reads none (no (T, B, S) array of zeros is made)
    state_cotangent = not isinstance(g, SymbolicZero)
    if not state_cotangent:
        g = jnp.zeros((1,), states.dtype)
    if isinstance(g_outputs, SymbolicZero):
        g_outputs = jnp.zeros(g_outputs.shape, g_outputs.dtype)
    shapes = [jax.ShapeDtypeStruct(shape, w_h.dtype) for shape in
              (w_h.shape, w_x.shape[::-1], w_x.shape[:1], w_out.shape, w_out.shape[:1], inputs.shape)]
    dw_h, dw_xt, db, dw_out, db_out, dx = jax.ffi.ffi_call(
        "rnnpop_recurrence_backward", shapes, vmap_method="broadcast_all")(
        w_h, w_x.T, w_out, inputs, states, saved, g, g_outputs, **_kernel_attributes(code, activation, bf16),
        state_cotangent=np.int64(state_cotangent))
    return dw_h, dw_xt.T, db, dw_out, db_out, dx


_native_unroll.defvjp(_native_forward, _native_backward, symbolic_zeros=True)
