"""The BLT family of recurrent convolutional networks (Thorat, Doerig & Kietzmann, CCN 2023),
following the authors' reference implementation (KietzmannLab/BLT-pytorch-CCN23, 64-px model).

``retina`` (a conv with bias, relu) runs once on the image. Then, unrolled for
``n_steps``, four recurrent conv layers ``v1, v2, v4, it`` (2×2 max-pool on the input of
v2, v4 and it; bias-free convs), each ``relu(LayerNorm(drive))`` with LayerNorm over
(C, H, W), and a global-average-pooled layer ``gap`` with ``relu(LayerNorm(drive))`` over
its 512 units, read out by a linear map to the classes. Recurrent drive from step t−1:
lateral (a conv on the layer's own output; a bias-free linear map at ``gap``) and top-down
(a stride-2 transposed conv from the layer above: into v1 from v2, into v2 from v4, into v4
from it). Interaction with the bottom-up drive b: additive ``b + l + t`` or multiplicative
``b · (1 + l + t)``; at t = 0 bottom-up only. Images are ``(3, H, W)``; vmap over a batch.
"""

from __future__ import annotations

import dataclasses

import equinox as eqx
import jax
import jax.numpy as jnp

VARIANTS = ("B", "BL", "BT", "BLT")
INTERACTIONS = ("additive", "multiplicative")
RECURRENT = ("v1", "v2", "v4", "it")
POOLED_INPUT = {"v1": False, "v2": True, "v4": True, "it": True}
TOP_DOWN = {"v1": "v2", "v2": "v4", "v4": "it"}  # layer: the layer above it that feeds back


@dataclasses.dataclass(frozen=True)
class BLTConfig:
    """Shape of a BLT network; the defaults are the paper's 64-px model (100 classes,
    10 steps). ``widths`` are the channels of retina, v1, v2, v4, it."""

    variant: str = "BLT"
    interaction: str = "additive"
    widths: tuple[int, ...] = (32, 64, 128, 256, 512)
    image_size: int = 64
    n_classes: int = 100
    n_steps: int = 10
    kernel: int = 3
    readout_bias: bool = False

    def __post_init__(self):
        if self.variant not in VARIANTS:
            raise ValueError(f"variant must be one of {list(VARIANTS)}, got {self.variant!r}")
        if self.interaction not in INTERACTIONS:
            raise ValueError(f"interaction must be one of {list(INTERACTIONS)}, got {self.interaction!r}")
        if len(self.widths) != 5 or min(self.widths) < 1:
            raise ValueError(f"widths must be 5 positive channel counts (retina, v1, v2, v4, it), got {self.widths}")
        if self.image_size < 8 or self.image_size % 8:
            raise ValueError(f"image_size must be a multiple of 8, got {self.image_size}")
        if self.kernel < 1 or self.kernel % 2 == 0:
            raise ValueError(f"kernel must be odd and >= 1, got {self.kernel}")
        for name in ("n_classes", "n_steps"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")

    @property
    def lateral(self) -> bool:
        return "L" in self.variant

    @property
    def top_down(self) -> bool:
        return "T" in self.variant

    def channels(self, layer: str) -> int:
        return dict(zip(("retina", *RECURRENT), self.widths))[layer]

    def resolution(self, layer: str) -> int:
        return {"v1": self.image_size, "v2": self.image_size // 2, "v4": self.image_size // 4,
                "it": self.image_size // 8}[layer]


def upsample(conv: eqx.nn.ConvTranspose2d, x):
    """``conv(x)`` for a stride-2 transposed conv with padding ``(k − 1)/2`` and output
    padding 1 (``(C_in, h, w) -> (C_out, 2h, 2w)``), computed as one ordinary conv and a
    pixel shuffle: output pixel ``(2m + a, 2n + b)`` sums input pixels ``m + d`` with
    kernel taps ``a + p − 2d`` of the transposed conv (sub-pixel form). Same numbers as
    the dilated form Equinox uses, which XLA:CPU runs several times slower.
    """
    weight = jnp.flip(conv.weight, axis=(2, 3))  # (out, in, k, k), taps as PyTorch indexes them
    k = weight.shape[-1]
    p = (k - 1) // 2
    offsets = range(-((k - 1 - p) // 2) - 1, (p + 1) // 2 + 1)
    offsets = [d for d in offsets if any(0 <= a + p - 2 * d < k for a in (0, 1))]
    lo, hi = offsets[0], offsets[-1]

    def taps(a):  # (len(offsets),) kernel index or -1 for a zero tap
        return [a + p - 2 * d if 0 <= a + p - 2 * d < k else -1 for d in range(lo, hi + 1)]

    padded = jnp.concatenate([weight, jnp.zeros_like(weight[..., :1, :])], axis=2)
    padded = jnp.concatenate([padded, jnp.zeros_like(padded[..., :1])], axis=3)  # index -1 -> zero
    phases = [padded[:, :, taps(a)][:, :, :, taps(b)] for a in (0, 1) for b in (0, 1)]
    kernel = jnp.concatenate(phases, axis=0)  # (4·out, in, n, n)
    x = jnp.pad(x, ((0, 0), (-lo, hi), (-lo, hi)))
    y = jax.lax.conv_general_dilated(x[None], kernel, (1, 1), "VALID")[0]  # (4·out, h, w)
    c_out, h, w = weight.shape[0], y.shape[1], y.shape[2]
    y = y.reshape(2, 2, c_out, h, w).transpose(2, 3, 0, 4, 1)  # (out, h, a, w, b)
    return y.reshape(c_out, 2 * h, 2 * w)


def _pool(x):
    c, h, w = x.shape
    return x.reshape(c, h // 2, 2, w // 2, 2).max(axis=(2, 4))


class BLT(eqx.Module):
    """A BLT-family network. ``net(image (3, H, W)) -> (logits (T, classes), pooled (T, D))``
    where ``pooled`` is the gap layer's output (non-negative)."""

    config: BLTConfig = eqx.field(static=True)
    retina: eqx.nn.Conv2d
    bottom_up: dict
    lateral: dict | None
    top_down: dict | None
    norms: dict
    gap_lateral: eqx.nn.Linear | None
    gap_norm: eqx.nn.LayerNorm
    readout: eqx.nn.Linear

    def __init__(self, config: BLTConfig, *, key: jax.Array):
        self.config = config
        k = config.kernel
        keys = iter(jax.random.split(key, 16))
        self.retina = eqx.nn.Conv2d(3, config.channels("retina"), k, padding="SAME", key=next(keys))
        below = dict(zip(RECURRENT, ("retina", "v1", "v2", "v4")))
        # bottom-up weights are drawn first, from the same keys for every variant
        self.bottom_up = {name: eqx.nn.Conv2d(config.channels(below[name]), config.channels(name), k,
                                              padding="SAME", use_bias=False, key=next(keys))
                          for name in RECURRENT}
        self.norms = {name: eqx.nn.LayerNorm((config.channels(name), config.resolution(name),
                                              config.resolution(name))) for name in RECURRENT}
        d = config.channels("it")
        self.gap_norm = eqx.nn.LayerNorm(d)
        self.readout = eqx.nn.Linear(d, config.n_classes, use_bias=config.readout_bias, key=next(keys))
        lateral_keys, top_keys, gap_key = next(keys), next(keys), next(keys)
        self.lateral = ({name: eqx.nn.Conv2d(config.channels(name), config.channels(name), k, padding="SAME",
                                             use_bias=False, key=kk)
                         for name, kk in zip(RECURRENT, jax.random.split(lateral_keys, 4))}
                        if config.lateral else None)
        self.top_down = ({name: eqx.nn.ConvTranspose2d(config.channels(above), config.channels(name), k, stride=2,
                                                       padding=(k - 1) // 2, output_padding=1, use_bias=False, key=kk)
                          for (name, above), kk in zip(TOP_DOWN.items(), jax.random.split(top_keys, 3))}
                         if config.top_down else None)
        self.gap_lateral = eqx.nn.Linear(d, d, use_bias=False, key=gap_key) if config.lateral else None

    def _combine(self, b, recurrent):
        if recurrent is None:
            return b
        return b + recurrent if self.config.interaction == "additive" else b * (1.0 + recurrent)

    def _step(self, retina, previous):
        """One time step; ``previous`` = {layer: output at t−1} (``None`` at t = 0)."""
        out, x = {}, retina
        for name in RECURRENT:
            if POOLED_INPUT[name]:
                x = _pool(x)
            recurrent = None
            if previous is not None:
                terms = []
                if self.lateral is not None:
                    terms.append(self.lateral[name](previous[name]))
                if self.top_down is not None and name in TOP_DOWN:
                    terms.append(upsample(self.top_down[name], previous[TOP_DOWN[name]]))
                recurrent = sum(terms) if terms else None
            x = jax.nn.relu(self.norms[name](self._combine(self.bottom_up[name](x), recurrent)))
            out[name] = x
        gap = x.mean(axis=(1, 2))
        lateral = self.gap_lateral(previous["gap"]) if (previous is not None and self.gap_lateral is not None) else None
        out["gap"] = jax.nn.relu(self.gap_norm(self._combine(gap, lateral)))
        return out

    def __call__(self, image):
        retina = jax.nn.relu(self.retina(image))
        state = self._step(retina, None)
        pooled = [state["gap"]]
        for _ in range(1, self.config.n_steps):
            state = self._step(retina, state)
            pooled.append(state["gap"])
        pooled = jnp.stack(pooled)
        return jax.vmap(self.readout)(pooled), pooled


def blt_loss(net: BLT, images, labels):
    """Log-softmax NLL summed over time steps, averaged over the batch.
    ``images (B, 3, H, W)``, ``labels (B,)``."""
    logits, _ = jax.vmap(net)(images)  # (B, T, C)
    logp = jax.nn.log_softmax(logits, axis=-1)
    nll = -jnp.take_along_axis(logp, labels[:, None, None], axis=-1)[..., 0]
    return nll.sum(axis=1).mean()
