"""Where a training iteration's time goes, per cell and width, on one single-threaded core.

One network, flip-flop (3 bits), batch 64, T = 100, the trainer's own loss, optimiser and
batch generator, each part jitted on its own and timed (best of 5 × 10 calls):

- data: one batch from ``task.generate``;
- forward: the masked MSE (the recurrence and the readout);
- backward: value-and-gradient minus forward (the reverse recurrence and the weight gradients);
- weight gradients: the same gradient with the recurrent matrix held constant, subtracted
  from the full gradient (what ``dW_h = Σ_t δ_t u_tᵀ`` costs inside the reverse scan);
- optimiser: clipping and SGD with momentum on the flat parameter vector;
- GEMM floor: the recurrent matrix products alone (forward, input gradient and weight
  gradient: 3 × T products of ``(B, blocks·n) × (n, n)``), in one ``fori_loop``.

Each row also gives the GEMM rate XLA reaches at that shape and what one iteration would
take at this core's large-matrix sgemm rate (``--peak``, GFLOP/s).

    python benchmarks/train_profile.py [--cells vanilla gru] [--units 64 128 256]
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")

from _timing import best_ms  # noqa: E402  benchmarks/, the script's own directory

BATCH, T = 64, 100
BLOCKS = {"vanilla": 1, "ugrnn": 2, "gru": 3, "lstm": 4}


def profile(cell: str, units: int, peak: float) -> dict[str, float]:
    import equinox as eqx
    import jax
    import jax.numpy as jnp
    import numpy as np
    from jax.flatten_util import ravel_pytree

    from rnnpop.tasks import FlipFlop
    from rnnpop.train import GroupSpec, init_networks
    from rnnpop.train._optim import make_optimizer, weight_penalty
    from rnnpop.train._population import masked_mse

    task = FlipFlop(n_time=T)
    net = jax.tree_util.tree_map(lambda a: jnp.asarray(a[0]),
                                 init_networks(task, GroupSpec(cell, "tanh", units), np.array([0], np.uint32)))
    params, static = eqx.partition(net, eqx.is_array)
    flat, unravel = ravel_pytree(params)
    batch = task.generate(jax.random.key(1), BATCH)
    opt = make_optimizer(0.01, 0.5, 0.9, 1.0, decay_steps=1000)
    state = opt.init(flat)

    def loss(flat, batch):
        p = unravel(flat)
        return masked_mse(eqx.combine(p, static), *batch) + 1e-4 * weight_penalty(p)

    def loss_fixed_wh(flat, w_h, batch):  # the recurrent matrix a constant: no dW_h accumulation
        p = eqx.tree_at(lambda q: q.cell.w_h, unravel(flat), jax.lax.stop_gradient(w_h))
        return masked_mse(eqx.combine(p, static), *batch)

    grad = jax.jit(jax.value_and_grad(loss))
    ms = {
        "data": best_ms(jax.jit(lambda k: task.generate(k, BATCH)), jax.random.key(2)),
        "forward": best_ms(jax.jit(loss), flat, batch),
        "gradient": best_ms(grad, flat, batch),
        "no dW_h": best_ms(jax.jit(jax.value_and_grad(loss_fixed_wh)), flat, params.cell.w_h, batch),
        "optimiser": best_ms(jax.jit(lambda g, s, f: opt.update(g, s, f)), flat, state, flat),
    }
    m = BLOCKS[cell] * units
    h = jnp.ones((BATCH, units), jnp.float32)
    w = jnp.ones((m, units), jnp.float32) / units
    floor = jax.jit(lambda h, w: jax.lax.fori_loop(0, 3 * T, lambda i, a: (a @ w.T)[:, :units] * 0.5, h))
    ms["GEMM floor"] = best_ms(floor, h, w)
    ms["backward"] = ms["gradient"] - ms["forward"]
    ms["weight gradients"] = ms["gradient"] - ms["no dW_h"]
    flops = 3 * T * 2 * BATCH * m * units
    ms["GEMM GFLOP/s"] = flops / ms["GEMM floor"] / 1e6
    ms["at peak"] = flops / peak / 1e6
    return ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cells", nargs="+", default=["vanilla", "gru"])
    parser.add_argument("--units", type=int, nargs="+", default=[64, 128, 256])
    parser.add_argument("--peak", type=float, default=183.0, help="large-matrix sgemm GFLOP/s of one core")
    args = parser.parse_args()
    columns = ["data", "forward", "backward", "weight gradients", "optimiser", "GEMM floor", "GEMM GFLOP/s",
               "at peak"]
    print(f"one network, one core; batch {BATCH}, T={T}; ms per iteration (GEMM GFLOP/s: XLA at that shape)")
    print(f"{'cell':8s} {'units':>5s} " + " ".join(f"{c:>16s}" for c in columns) + f" {'sum of parts':>14s}")
    for cell in args.cells:
        for units in args.units:
            ms = profile(cell, units, args.peak)
            total = ms["data"] + ms["gradient"] + ms["optimiser"]
            print(f"{cell:8s} {units:5d} " + " ".join(f"{ms[c]:16.2f}" for c in columns) + f" {total:14.2f}",
                  flush=True)


if __name__ == "__main__":
    main()
