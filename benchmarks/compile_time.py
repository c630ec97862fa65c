"""Compile time, on one core, of what every training group compiles: the previous
formulations against rnnpop's, value for value the same computation.

Why it matters: a Dask worker is one single-threaded process, so it compiles each group's
programs on one core, and on a short run compilation is the fixed cost that keeps the
two-worker speed-up under 2× (``benchmarks/scale_out.py``). Pairs, each compiled afresh
(``jit(...).lower(...).compile()``), alternating, medians of ``--repeats``:

1. flip-flop batch (64 trials, T = 100, 3 bits): an n-dimensional ``jax.random.uniform`` and
   an associative scan for the held values (before) vs. ``FlipFlop.generate`` (a flat draw,
   reshaped, and a sequential scan);
2. orthogonal recurrent weights of an LSTM (4 blocks of 128): one n-dimensional normal draw
   and QR per block in a Python loop (before) vs. ``stacked_recurrent`` (flat draws, vmapped);
3. 100 training iterations of one LSTM-128 network on flip-flop batches of 32 (batch drawn,
   gradient, clipped SGD with momentum, frozen when non-finite), with the optimiser and the
   finiteness check over the parameters' leaves (before) vs. over one flat vector (as
   rnnpop's trainer does).

    python benchmarks/compile_time.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})

from rnnpop.train import configure_cpu  # noqa: E402

configure_cpu(1)

import equinox as eqx  # noqa: E402
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import optax  # noqa: E402
from jax.flatten_util import ravel_pytree  # noqa: E402

from rnnpop.models import Network  # noqa: E402
from rnnpop.models._init import stacked_recurrent  # noqa: E402
from rnnpop.tasks import FlipFlop  # noqa: E402
from rnnpop.train._optim import make_optimizer, weight_penalty  # noqa: E402
from rnnpop.train._population import masked_mse  # noqa: E402

TASK = FlipFlop(n_time=100)


def flipflop_before(key, batch_size=64):
    u = jax.random.uniform(key, (batch_size, TASK.n_time, TASK.n_bits))
    inputs = jnp.where(u < TASK.p_flip, jnp.where(u < 0.5 * TASK.p_flip, 1.0, -1.0), 0.0)
    targets = jax.lax.associative_scan(lambda a, b: jnp.where(b != 0, b, a), inputs, axis=1)
    return inputs, targets, jnp.ones_like(targets)


def flipflop_now(key, batch_size=64):
    return TASK.generate(key, batch_size)


def recurrent_before(key, n_blocks=4, n=128):
    blocks = []
    for k in jax.random.split(key, n_blocks):
        q, r = jnp.linalg.qr(jax.random.normal(k, (n, n), jnp.float32))
        blocks.append(q * jnp.sign(jnp.diagonal(r))[None, :])
    return jnp.concatenate(blocks)


def recurrent_now(key):
    return stacked_recurrent(key, 4, 128)


def training(flat: bool):
    """100 iterations of one network; ``flat``: the optimiser works on one vector."""
    params, static = eqx.partition(Network.create("lstm", "tanh", n_inputs=3, n_units=128, n_outputs=3,
                                                  key=jax.random.key(0)), eqx.is_array)
    opt = make_optimizer(0.01, 0.5, 0.9, 1.0, decay_steps=250)

    def loss(p, batch):
        p = p[1](p[0]) if flat else p
        return masked_mse(eqx.combine(p, static), *batch) + 1e-4 * weight_penalty(p)

    def run(params, key):
        x, unravel = ravel_pytree(params) if flat else (params, None)

        def iteration(carry, i):
            x, state, diverged = carry
            batch = TASK.generate(jax.random.fold_in(key, i), 32)
            value, grads = jax.value_and_grad(lambda v: loss((v, unravel) if flat else v, batch))(x)
            updates, new_state = opt.update(grads, state, x)
            new = optax.apply_updates(x, updates)
            finite = jnp.all(jnp.stack([jnp.all(jnp.isfinite(v)) for v in jax.tree_util.tree_leaves(new)]))
            ok = ~diverged & jnp.isfinite(value) & finite
            x, state = jax.tree_util.tree_map(lambda a, b: jnp.where(ok, a, b), (new, new_state), (x, state))
            return (x, state, ~ok), value

        carry = (x, opt.init(x), jnp.bool_(False))
        x = jax.lax.scan(iteration, carry, jnp.arange(100))[0][0]
        return unravel(x) if flat else x

    return run, (params, jax.random.key(1))


def compile_seconds(fn, *args) -> float:
    start = time.perf_counter()
    jax.jit(lambda *a: fn(*a)).lower(*args).compile()  # a new function: no cached executable
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    key = jax.random.key(0)
    compile_seconds(lambda x: x + 1, 1.0)  # XLA's one-off start-up, outside the timings
    before_run, before_args = training(flat=False)
    now_run, now_args = training(flat=True)
    pairs = {
        "flip-flop batch (64 × 100 × 3)": ((flipflop_before, key), (flipflop_now, key)),
        "LSTM-128 recurrent initialisation": ((recurrent_before, key), (recurrent_now, key)),
        "100 training iterations, LSTM-128": ((before_run, *before_args), (now_run, *now_args)),
    }
    for (f, *a), (g, *b) in pairs.values():  # the two compute the same values
        for x, y in zip(jax.tree_util.tree_leaves(f(*a)), jax.tree_util.tree_leaves(g(*b))):
            assert jnp.allclose(x, y, rtol=1e-4, atol=1e-5), "the two formulations differ"
    print(f"compile time on one core, medians of {args.repeats} (runs in brackets)")
    total_before = total_now = 0.0
    for name, ((f, *a), (g, *b)) in pairs.items():
        before, now = [], []
        for _ in range(args.repeats):
            before.append(compile_seconds(f, *a))
            now.append(compile_seconds(g, *b))
        mb, mn = statistics.median(before), statistics.median(now)
        total_before, total_now = total_before + mb, total_now + mn
        print(f"{name:36s} before {mb:5.2f} s {[round(x, 2) for x in before]}  now {mn:5.2f} s "
              f"{[round(x, 2) for x in now]}  {mb / mn:.2f}x")
    print(f"{'all three':36s} before {total_before:5.2f} s  now {total_now:5.2f} s  {total_before / total_now:.2f}x")


if __name__ == "__main__":
    main()
