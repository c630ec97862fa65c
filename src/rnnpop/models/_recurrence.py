"""A batch of trials through a cell's recurrence, with hand-written backward passes.

Autodiff through ``lax.scan`` adds ``δ_t h_{t−1}ᵀ`` to the recurrent weight gradient at
every reverse step (a thin product at each step, memory-bound at 256 units). The passes
here carry only the state cotangents backwards and take ``dW_h = Σ_t δ_t h_{t−1}ᵀ`` as one
product over all steps and trials afterwards (`benchmarks/weight_gradient.py`: 1.2–2.1×
per gradient). Cells without one use autodiff.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from ._cells import ACTIVATIONS, LSTM, Vanilla


def unroll(cell, drive: jax.Array) -> jax.Array | None:
    """``drive (T, B, n_blocks·n)`` (the projected inputs, time-major) -> ``states (T, B,
    state_size)`` from a zero state; ``None`` for a cell without a hand-written pass."""
    if type(cell) is Vanilla:
        return _vanilla(cell.activation, cell.w_h, drive)
    if type(cell) is LSTM:
        return _lstm(cell.activation, cell.w_h, drive)
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
