"""Does TrivialAugmentWide (rnnpop.vision._augment, Pillow per image) keep up with training?

Times the augmentation of one batch of 64×64 images at the authors' batch size (1,024)
against one training step of the paper's BLT (widths 32–512, 10 steps) on the same
batch size scaled down by ``--step-batch`` (a full 1,024-image step does not fit a quick
CPU run); prints both per image and their ratio. Baseline: the training step.

    python benchmarks/augment_throughput.py [--batch 1024] [--step-batch 8]
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch", type=int, default=1024)
    parser.add_argument("--step-batch", type=int, default=8)
    args = parser.parse_args()

    import jax
    import jax.numpy as jnp
    import optax
    import equinox as eqx

    from rnnpop.vision import BLT, BLTConfig, make_train_step
    from rnnpop.vision._augment import trivial_augment_wide

    images = np.random.default_rng(0).integers(0, 256, size=(args.batch, 64, 64, 3), dtype=np.uint8)
    trivial_augment_wide(images[:8], seed=0)
    start = time.perf_counter()
    trivial_augment_wide(images, seed=1)
    augment = (time.perf_counter() - start) / args.batch

    net = BLT(BLTConfig(), key=jax.random.key(0))
    optimizer = optax.adam(1e-3)
    state = optimizer.init(eqx.filter(net, eqx.is_array))
    step = make_train_step(optimizer)
    x = jnp.asarray(np.random.default_rng(1).normal(size=(args.step_batch, 3, 64, 64)), jnp.float32)
    y = jnp.zeros(args.step_batch, jnp.int32)
    net, state, loss = step(net, state, x, y)
    jax.block_until_ready(loss)
    start = time.perf_counter()
    net, state, loss = step(net, state, x, y)
    jax.block_until_ready(loss)
    train = (time.perf_counter() - start) / args.step_batch
    print(f"TrivialAugmentWide: {1e3 * augment:.3f} ms per image ({args.batch} images)")
    print(f"training step (paper's BLT, CPU): {1e3 * train:.1f} ms per image")
    print(f"augmentation is {train / augment:.0f}x faster than training: it keeps up on one core")


if __name__ == "__main__":
    main()
