"""Convolution layouts for BLT training on XLA:CPU: XLA's own convolution (what
``rnnpop.vision`` uses) against the same convolutions written as im2col + matmul, with the
patches in channel-first (C·k·k, H·W) or channel-last (H·W, k·k·C) order. Each layout
trains the same network (BLT additive, same weights and batch) in its own subprocess;
prints images/s and the ratio to XLA's convolution.

    python benchmarks/vision_conv_layouts.py [--widths 8 16 32 64 128] [--size 64] [--steps 10]
"""

from __future__ import annotations

import argparse
import subprocess
import sys

LAYOUT = r"""
import sys, time
import equinox as eqx, jax, jax.numpy as jnp, numpy as np, optax

layout, widths, size, steps, batch = sys.argv[1], tuple(map(int, sys.argv[2].split(","))), *map(int, sys.argv[3:6])


def patches_first(x, weight):  # x (I, H, W) padded, weight (O, I, k, k) -> (O, h, w)
    o, i, k, _ = weight.shape
    h, w = x.shape[1] - k + 1, x.shape[2] - k + 1
    cols = jnp.stack([x[:, a:a + h, b:b + w] for a in range(k) for b in range(k)], axis=1)
    return (weight.reshape(o, i * k * k) @ cols.reshape(i * k * k, h * w)).reshape(o, h, w)


def patches_last(x, weight):
    o, i, k, _ = weight.shape
    h, w = x.shape[1] - k + 1, x.shape[2] - k + 1
    xt = x.transpose(1, 2, 0)
    cols = jnp.concatenate([xt[a:a + h, b:b + w] for a in range(k) for b in range(k)], axis=-1)
    return (cols.reshape(h * w, k * k * i) @ weight.transpose(2, 3, 1, 0).reshape(k * k * i, o)).T.reshape(o, h, w)


if layout != "xla":
    conv = {"im2col-first": patches_first, "im2col-last": patches_last}[layout]

    def conv2d(self, x, *, key=None):
        p = (self.weight.shape[-1] - 1) // 2
        y = conv(jnp.pad(x, ((0, 0), (p, p), (p, p))), self.weight)
        return y + self.bias if self.use_bias else y

    eqx.nn.Conv2d.__call__ = conv2d  # the model's stride-1 convolutions
    jax.lax.conv_general_dilated = lambda lhs, rhs, *a, **k: jax.vmap(lambda x: conv(x, rhs))(lhs)  # top-down

from rnnpop.vision import BLT, BLTConfig, make_train_step

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--widths", type=int, nargs=5, default=[8, 16, 32, 64, 128])
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--batch", type=int, default=32)
    args = parser.parse_args()
    rates = {}
    for layout in ("xla", "im2col-first", "im2col-last"):
        out = subprocess.run([sys.executable, "-c", LAYOUT, layout, ",".join(map(str, args.widths)), str(args.size),
                              str(args.steps), str(args.batch)], check=True, capture_output=True, text=True).stdout
        rates[layout] = float(out.split()[-1])
        print(f"{layout:13s} {rates[layout]:6.1f} images/s  ratio to XLA's convolution {rates[layout] / rates['xla']:.2f}x",
              flush=True)


if __name__ == "__main__":
    main()
