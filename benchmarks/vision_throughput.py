"""Training throughput of a BLT network (additive): rnnpop (JAX/Equinox) vs the same
architecture in plain PyTorch (torch==2.13.0, rnnpop.vision._torch_reference), same batch,
same run, alternating. One step = forward over all time steps, NLL summed over time, backward,
Adam update. Prints images per second for both and the ratio.

    python benchmarks/vision_throughput.py [--widths 8 16 32 64 128] [--size 64] [--steps 10]
"""

from __future__ import annotations

import time

import numpy as np

from _vision_args import vision_parser  # benchmarks/, the script's own directory


def main() -> None:
    parser = vision_parser(__doc__)
    parser.add_argument("--iterations", type=int, default=5, help="timed steps per repetition")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import equinox as eqx
    import jax
    import optax
    import torch

    from rnnpop.vision import BLT, BLTConfig, make_train_step
    from rnnpop.vision._torch_reference import TorchBLT

    config = BLTConfig(variant="BLT", interaction="additive", widths=tuple(args.widths), image_size=args.size,
                       n_classes=100, n_steps=args.steps)
    rng = np.random.default_rng(0)
    images = rng.normal(size=(args.batch, 3, args.size, args.size)).astype(np.float32)
    labels = rng.integers(0, 100, size=args.batch)

    net = BLT(config, key=jax.random.key(0))
    opt = optax.adam(1e-3)
    state = opt.init(eqx.filter(net, eqx.is_array))
    step = make_train_step(opt)
    x, y = jax.numpy.asarray(images), jax.numpy.asarray(labels)
    start = time.perf_counter()
    net, state, loss = step(net, state, x, y)
    loss.block_until_ready()
    compile_s = time.perf_counter() - start

    model = TorchBLT(config)
    topt = torch.optim.Adam(model.parameters(), lr=1e-3)
    tx, ty = torch.from_numpy(images), torch.from_numpy(labels)

    def torch_step():
        topt.zero_grad()
        logp = torch.log_softmax(model(tx), dim=-1)  # (B, T, C)
        loss = -logp.gather(-1, ty[:, None, None].expand(-1, logp.shape[1], 1)).sum(dim=1).mean()
        loss.backward()
        topt.step()

    torch_step()  # warm-up
    ours, theirs = [], []
    for _ in range(args.repeats):
        start = time.perf_counter()
        for _ in range(args.iterations):
            net, state, loss = step(net, state, x, y)
        loss.block_until_ready()
        ours.append(args.iterations * args.batch / (time.perf_counter() - start))
        start = time.perf_counter()
        for _ in range(args.iterations):
            torch_step()
        theirs.append(args.iterations * args.batch / (time.perf_counter() - start))
    a, b = float(np.median(ours)), float(np.median(theirs))
    print(f"BLT additive, widths {tuple(args.widths)}, {args.size}×{args.size}, {args.steps} steps, batch {args.batch}; "
          f"torch threads {torch.get_num_threads()}; JAX backend {jax.default_backend()}")
    print(f"PyTorch {torch.__version__}: {b:7.1f} images/s (runs {', '.join(f'{v:.1f}' for v in theirs)})")
    print(f"rnnpop (JAX):  {a:7.1f} images/s (runs {', '.join(f'{v:.1f}' for v in ours)}); compile {compile_s:.1f} s")
    print(f"ratio (rnnpop / PyTorch): {a / b:.2f}x")


if __name__ == "__main__":
    main()
