"""Training a BLT network: TrivialAugmentWide on uint8 images, Adam steps."""

from __future__ import annotations

import equinox as eqx
import jax
import numpy as np
import optax

from ._augment import trivial_augment_wide
from ._blt import BLT, blt_loss

def augment(images: np.ndarray, *, seed: int) -> np.ndarray:
    """The authors' augmentation, torchvision's TrivialAugmentWide (:mod:`._augment`), on
    ``images (B, H, W, 3)`` uint8 drawn with ``seed``; returns uint8."""
    return trivial_augment_wide(images, seed=seed)


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
