"""Candidate (issue 25): the recurrent weight gradient as one product after the backward loop.

A vanilla or LSTM tanh network's gradient (batch 64, T = 100, one core), two ways, interleaved
in this one process, best of 2 × 10 calls each, three rounds:

- baseline, autodiff: ``jax.grad`` through ``lax.scan`` (rnnpop's trainer today), which adds
  ``δ_t h_{t-1}ᵀ`` to the weight gradient at every step of the reverse loop;
- candidate, rnnpop's hand-written backward pass (``rnnpop.models._recurrence``, a
  ``jax.custom_vjp``): the reverse loop carries only ``δ_t`` (for the LSTM ``(dh, dc)``, the
  gate activations and cell states saved by the forward loop); ``dW_h = Σ_t δ_t h_{t-1}ᵀ`` is
  one product over all steps and trials afterwards.

It prints both times, their ratio and the largest relative difference of the gradients. A
generic form for every cell (the recurrent matrix held constant in the loop, the cotangents
of its products collected through added zero inputs) was measured too while building this and
was slower than autodiff (0.43–1.03×); it is not kept.

    python benchmarks/weight_gradient.py [--units 64 128 256] [--cells vanilla lstm]
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")

from _timing import best_ms  # noqa: E402  benchmarks/, the script's own directory

BATCH, T, N_IN = 64, 100, 3


def formulations(cell: str, n: int):
    """``(blocks, autodiff, hand_written)``: the gradients of the loss w.r.t. ``(w_h, w_x,
    b)`` for a ``cell`` (``vanilla`` or ``lstm``, tanh) of ``n`` units, the loss on the hidden
    states; the hand-written pass is rnnpop's own (``rnnpop.models._recurrence``)."""
    import jax
    import jax.numpy as jnp

    from rnnpop.models import _recurrence

    blocks = {"vanilla": 1, "lstm": 4}[cell]
    sigmoid = jax.nn.sigmoid

    def step(w_h, carry, d):  # one step of the batch: the cell's state, its hidden vector
        if cell == "vanilla":
            h = jnp.tanh(carry @ w_h.T + d)
            return h, h
        h, c = carry
        i, f, o, u = jnp.split(h @ w_h.T + d, 4, axis=-1)
        c = sigmoid(f) * c + sigmoid(i) * jnp.tanh(u)
        h = sigmoid(o) * jnp.tanh(c)
        return (h, c), h

    def scan(w_h, drive):  # drive (T, B, blocks·n) -> hidden states (T, B, n)
        zeros = jnp.zeros((BATCH, n), drive.dtype)
        return jax.lax.scan(lambda carry, d: step(w_h, carry, d), zeros if cell == "vanilla" else (zeros, zeros),
                            drive)[1]

    def recurrence(w_h, drive):
        return getattr(_recurrence, f"_{cell}")("tanh", w_h, drive)[..., :n]

    def loss(unroll):
        def f(params, x, y):
            w_h, w_x, b = params
            return jnp.mean(jnp.square(unroll(w_h, x @ w_x.T + b) - y))

        return jax.jit(jax.grad(f))

    return blocks, loss(scan), loss(recurrence)


def main() -> None:
    import jax
    import jax.numpy as jnp
    import numpy as np

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, nargs="+", default=[64, 128, 256])
    parser.add_argument("--cells", nargs="+", default=["vanilla", "lstm"], choices=["vanilla", "lstm"])
    args = parser.parse_args()
    print(f"tanh cells, one core, batch {BATCH}, T={T}: ms per gradient (best of interleaved runs)")
    print(f"{'cell':>7s} {'units':>5s} {'autodiff':>10s} {'hand-written':>13s} {'ratio':>7s} {'max rel. diff':>14s}")
    for cell, n in ((cell, n) for cell in args.cells for n in args.units):
        rng = np.random.default_rng(0)
        blocks, autodiff, hand = formulations(cell, n)
        w_h = np.concatenate([np.linalg.qr(rng.normal(size=(n, n)))[0] for _ in range(blocks)])
        params = (jnp.asarray(w_h, jnp.float32),
                  jnp.asarray(rng.normal(size=(blocks * n, N_IN)) / np.sqrt(N_IN), jnp.float32),
                  jnp.zeros(blocks * n, jnp.float32))
        x = jnp.asarray(rng.choice([-1.0, 0.0, 1.0], size=(T, BATCH, N_IN), p=[0.05, 0.9, 0.05]), jnp.float32)
        y = jnp.asarray(rng.normal(size=(T, BATCH, n)), jnp.float32)
        error = max(float(jnp.max(jnp.abs(a - b)) / jnp.max(jnp.abs(a)))
                    for a, b in zip(autodiff(params, x, y), hand(params, x, y)))
        a, b = [], []
        for _ in range(3):
            a.append(best_ms(autodiff, params, x, y, repeats=2))
            b.append(best_ms(hand, params, x, y, repeats=2))
        print(f"{cell:>7s} {n:5d} {min(a):10.2f} {min(b):13.2f} {min(a) / min(b):6.2f}x {error:14.1e}", flush=True)


if __name__ == "__main__":
    main()
