"""Training a BLT network: TrivialAugment-style augmentation on uint8 images, Adam steps."""

from __future__ import annotations

import equinox as eqx
import jax
import numpy as np
import optax

from ._blt import BLT, blt_loss

AUGMENTATIONS = ("identity", "flip", "brightness", "contrast", "translate", "rotate")


def augment(images: np.ndarray, *, seed: int) -> np.ndarray:
    """TrivialAugment-style: each image of ``images (B, H, W, 3)`` uint8 gets one operation,
    drawn uniformly from :data:`AUGMENTATIONS`, at a magnitude drawn uniformly. Returns uint8."""
    rng = np.random.default_rng(seed)
    out = np.empty_like(images)
    for i, image in enumerate(images):
        op = AUGMENTATIONS[rng.integers(len(AUGMENTATIONS))]
        x = image.astype(np.float32)
        m = rng.uniform(0.0, 1.0)
        if op == "flip":
            x = x[:, ::-1]
        elif op == "brightness":
            x = x * (1.0 + rng.choice([-1, 1]) * 0.9 * m)
        elif op == "contrast":
            x = (x - x.mean()) * (1.0 + rng.choice([-1, 1]) * 0.9 * m) + x.mean()
        elif op == "translate":
            shift = rng.integers(-int(0.3 * m * x.shape[0]) - 1, int(0.3 * m * x.shape[0]) + 2, size=2)
            x = np.roll(x, tuple(shift), axis=(0, 1))
        elif op == "rotate":
            x = np.rot90(x, k=rng.integers(1, 4))
        out[i] = np.clip(x, 0, 255).astype(np.uint8)
    return out


# XLA:CPU's default YNNPACK fusions (jaxlib 0.10.2: dots, reductions, convolutions) less the
# convolutions, which Eigen runs faster for BLT training (benchmarks/vision_formulations.py).
_CPU_OPTIONS = {"xla_cpu_experimental_ynn_fusion_type": "LIBRARY_FUSION_TYPE_INDIVIDUAL_DOT,LIBRARY_FUSION_TYPE_REDUCE"}


def vision_jit(fn):
    """``eqx.filter_jit(fn)``, with :data:`_CPU_OPTIONS` when the default backend is a CPU."""
    return eqx.filter_jit(fn, compiler_options=_CPU_OPTIONS if jax.default_backend() == "cpu" else None)


def make_train_step(optimizer: optax.GradientTransformation):
    """A jitted ``step(net, opt_state, images (B, 3, H, W) float32, labels (B,)) ->
    (net, opt_state, loss)`` minimising :func:`blt_loss`."""

    @vision_jit
    def step(net: BLT, opt_state, images, labels):
        loss, grads = eqx.filter_value_and_grad(blt_loss)(net, images, labels)
        updates, opt_state = optimizer.update(grads, opt_state, eqx.filter(net, eqx.is_array))
        return eqx.apply_updates(net, updates), opt_state, loss

    return step
