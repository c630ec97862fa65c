"""What each choice in ``rnnpop.vision``'s BLT buys on the CPU: the same training step (BLT
additive, same weights and batch) as rnnpop runs it, and with one choice undone — XLA's
convolutions and gradients instead of the native kernels (``rnnpop._native``); XLA's
LayerNorm + ReLU (the hand-written VJP) instead of the native kernels; max-pooling
differentiated by autodiff instead of sending each gradient to the window's first maximum; no
native kernels at all (what a machine without a C++ compiler runs). Then, on that fallback, the
choices it keeps: YNNPACK's convolutions (XLA:CPU's default) instead of Eigen's; LayerNorm +
ReLU by autodiff instead of the hand-written VJP; that VJP's parameter gradients summed with a
reduce instead of by halving; its output and input gradient left to XLA's fusion instead of
written to buffers of their own (``_layers._materialize``). Each formulation trains in its own
subprocess; prints images/s and the ratio of rnnpop's formulation to each.

    python benchmarks/vision_formulations.py [--widths 8 16 32 64 128] [--size 64] [--steps 10]
"""

from __future__ import annotations

import subprocess
import sys

from _vision_args import vision_parser  # benchmarks/, the script's own directory

FORMULATION = r"""
import sys, time
import equinox as eqx, jax, jax.numpy as jnp, numpy as np, optax
from rnnpop import _native
from rnnpop.vision import BLT, BLTConfig, make_train_step, _blt, _layers, _train

formulation, widths, size, steps, batch = sys.argv[1], tuple(map(int, sys.argv[2].split(","))), *map(int, sys.argv[3:6])


def plain_layer_norm_relu(z, weight, bias, eps):
    axes = tuple(range(1, z.ndim))
    mean = z.mean(axes, keepdims=True)
    var = jnp.square(z - mean).mean(axes, keepdims=True)
    return jax.nn.relu((z - mean) * jax.lax.rsqrt(var + eps) * weight + bias)


def xla_conv(x, weight, padding="SAME"):
    return _layers._xla_conv(x, weight, _layers._explicit(padding, weight.shape[2:]))


if formulation == "xla-convolutions":
    _blt.conv = _layers.conv = xla_conv
elif formulation == "xla-layernorm":
    _blt.layer_norm_relu = _layers._layer_norm_relu_xla
elif formulation == "autodiff-maxpool":
    _blt.max_pool = lambda x: _layers._windows(x).max(axis=(2, 4))
elif formulation != "rnnpop":
    _native.used_for = lambda *arrays: False  # the fallback, and on it:
    if formulation == "ynn-convolutions":
        _train._CPU_OPTIONS = None
    elif formulation == "autodiff-layernorm":
        _blt.layer_norm_relu = plain_layer_norm_relu
    elif formulation == "reduce-sum":
        _layers.batch_sum = lambda x: x.sum(0)
    elif formulation == "fused-layernorm":
        _layers._materialize = lambda x, rstd: x

config = BLTConfig(variant="BLT", interaction="additive", widths=widths, image_size=size, n_classes=100, n_steps=steps)
rng = np.random.default_rng(0)
images = jnp.asarray(rng.normal(size=(batch, 3, size, size)).astype(np.float32))
labels = jnp.asarray(rng.integers(0, 100, size=batch))
net = BLT(config, key=jax.random.key(0))
opt = optax.adam(1e-3)
state = opt.init(eqx.filter(net, eqx.is_array))
step = make_train_step(opt)
net, state, loss = step(net, state, images, labels)
loss.block_until_ready()
rates = []
for _ in range(3):
    start = time.perf_counter()
    for _ in range(3):
        net, state, loss = step(net, state, images, labels)
    loss.block_until_ready()
    rates.append(3 * batch / (time.perf_counter() - start))
print(sorted(rates)[1])
"""

NAMES = {"rnnpop": "rnnpop (as shipped)", "xla-convolutions": "XLA's convolutions",
         "xla-layernorm": "XLA's LayerNorm + ReLU", "autodiff-maxpool": "autodiff max-pooling",
         "fallback": "no native kernels (fallback)", "ynn-convolutions": "fallback, YNNPACK convolutions",
         "autodiff-layernorm": "fallback, autodiff LayerNorm", "reduce-sum": "fallback, sums by reduce",
         "fused-layernorm": "fallback, LayerNorm fused"}


def main() -> None:
    parser = vision_parser(__doc__)
    parser.add_argument("--rounds", type=int, default=2, help="rounds over all formulations, alternating")
    args = parser.parse_args()
    rates = {name: [] for name in NAMES}
    for _ in range(args.rounds):
        for name in NAMES:
            out = subprocess.run([sys.executable, "-c", FORMULATION, name, ",".join(map(str, args.widths)),
                                  str(args.size), str(args.steps), str(args.batch)],
                                 check=True, capture_output=True, text=True).stdout
            rates[name].append(float(out.split()[-1]))
    best = {name: max(runs) for name, runs in rates.items()}
    print(f"BLT additive, widths {tuple(args.widths)}, {args.size}×{args.size}, {args.steps} steps, batch "
          f"{args.batch}; images/s, best of {args.rounds} subprocess rounds")
    for name, label in NAMES.items():
        runs = ", ".join(f"{r:.1f}" for r in rates[name])
        print(f"{label:32s} {best[name]:6.1f} (runs {runs})  rnnpop / this {best['rnnpop'] / best[name]:.2f}x"
              f"  fallback / this {best['fallback'] / best[name]:.2f}x")


if __name__ == "__main__":
    main()
