"""Where BLT training time goes on the CPU: each convolution of one training step timed alone,
rnnpop's (channel-last, ``rnnpop.vision._layers``, compiled as the vision programs are) against
PyTorch's (torch==2.13.0, oneDNN), same shapes, same run. For every convolution: forward alone,
forward with both gradients, and forward with the weight gradient only; then the totals of one step (each convolution
times the number of steps it runs: bottom-up 10, lateral and top-down 9, v1's bottom-up 1 in
rnnpop, where its input does not change over time, 10 in the reference). Prints milliseconds
and the ratios.

    python benchmarks/vision_convolutions.py [--widths 8 16 32 64 128] [--size 64] [--steps 10]
"""

from __future__ import annotations

import time

import numpy as np

from _vision_args import vision_parser  # benchmarks/, the script's own directory


def _best(fn, n: int = 10) -> float:
    fn()
    times = []
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(n):
            out = fn()
        if hasattr(out, "block_until_ready"):
            out.block_until_ready()
        times.append((time.perf_counter() - start) / n)
    return min(times)


def convolutions(widths, size, steps):
    """``(name, c_in, c_out, resolution of the input, transposed, steps run by rnnpop, by the reference)``."""
    retina, v1, v2, v4, it = widths
    rows = [("v1 bottom-up", retina, v1, size, False, 1, steps)]
    for name, c_in, c_out, r in (("v2", v1, v2, size // 2), ("v4", v2, v4, size // 4), ("it", v4, it, size // 8)):
        rows.append((f"{name} bottom-up", c_in, c_out, r, False, steps, steps))
    for name, c, r in (("v1", v1, size), ("v2", v2, size // 2), ("v4", v4, size // 4), ("it", it, size // 8)):
        rows.append((f"{name} lateral", c, c, r, False, steps - 1, steps - 1))
    for name, above, c, r in (("v1", v2, v1, size // 2), ("v2", v4, v2, size // 4), ("v4", it, v4, size // 8)):
        rows.append((f"{name} top-down", above, c, r, True, steps - 1, steps - 1))
    return rows


def main() -> None:
    parser = vision_parser(__doc__)
    args = parser.parse_args()

    import equinox as eqx
    import jax
    import jax.numpy as jnp
    import torch
    from torch.nn import functional as F

    from rnnpop.vision._layers import conv, upsample
    from rnnpop.vision._train import vision_jit

    rng = np.random.default_rng(0)
    totals = np.zeros(6)  # rnnpop: forward, + both, + weight; PyTorch: the same (per training step)
    print(f"batch {args.batch}, 3×3 kernels; ms per call: rnnpop / PyTorch (ratio), fwd | fwd + both gradients | "
          f"fwd + weight gradient only")
    for name, c_in, c_out, r, transposed, ours, theirs in convolutions(args.widths, args.size, args.steps):
        x = rng.normal(size=(args.batch, c_in, r, r)).astype(np.float32)
        if transposed:
            module = eqx.nn.ConvTranspose2d(c_in, c_out, 3, stride=2, padding=1, output_padding=1, use_bias=False,
                                            key=jax.random.key(0))
            w = np.asarray(module.weight)

            def apply(xs, weight, module=module):
                return upsample(eqx.tree_at(lambda m: m.weight, module, weight), xs)
            torch_w = torch.from_numpy(np.flip(w, (2, 3)).swapaxes(0, 1).copy())  # (in, out, k, k)
            torch_apply = lambda t, tw: F.conv_transpose2d(t, tw, stride=2, padding=1, output_padding=1)  # noqa: E731
        else:
            w = rng.normal(size=(c_out, c_in, 3, 3)).astype(np.float32) * 0.1
            apply = conv
            torch_w = torch.from_numpy(w)
            torch_apply = lambda t, tw: F.conv2d(t, tw, padding=1)  # noqa: E731
        xs, weight = jnp.asarray(x.transpose(0, 2, 3, 1)), jnp.asarray(w)
        loss = lambda xs, weight: jnp.square(apply(xs, weight)).sum()  # noqa: E731
        forward = vision_jit(apply)
        both = vision_jit(jax.grad(loss, argnums=(0, 1)))
        only_weight = vision_jit(jax.grad(loss, argnums=1))
        tx = torch.from_numpy(x).requires_grad_()
        tw = torch_w.clone().requires_grad_()
        frozen = torch.from_numpy(x)

        def torch_forward():
            with torch.no_grad():
                return torch_apply(frozen, torch_w)

        def torch_both():
            tx.grad = tw.grad = None
            torch_apply(tx, tw).square().sum().backward()

        def torch_weight():
            tw.grad = None
            torch_apply(frozen, tw).square().sum().backward()

        ms = np.array([_best(lambda: forward(xs, weight)), _best(lambda: both(xs, weight)[1]),
                       _best(lambda: only_weight(xs, weight)), _best(torch_forward), _best(torch_both),
                       _best(torch_weight)]) * 1e3
        totals += ms * np.array([ours] * 3 + [theirs] * 3)
        cells = " | ".join(f"{ms[i]:6.2f} / {ms[i + 3]:6.2f} ({ms[i] / ms[i + 3]:.2f}x)" for i in range(3))
        print(f"{name:14s} {c_in:4d}→{c_out:<4d} @{r:3d}: {cells}   × {ours} / {theirs} steps")
    print(f"one training step's convolutions: rnnpop {totals[1]:.0f} ms, PyTorch {totals[4]:.0f} ms "
          f"(ratio PyTorch / rnnpop {totals[4] / totals[1]:.2f}x); forward only {totals[0]:.0f} vs {totals[3]:.0f} ms "
          f"({totals[3] / totals[0]:.2f}x); fwd + weight gradients only {totals[2]:.0f} vs {totals[5]:.0f} ms "
          f"({totals[5] / totals[2]:.2f}x)")


if __name__ == "__main__":
    main()
