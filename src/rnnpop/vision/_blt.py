"""The BLT family of recurrent convolutional networks (Thorat, Doerig & Kietzmann, CCN 2023),
following the authors' reference implementation (KietzmannLab/BLT-pytorch-CCN23, 64-px model).

``retina`` (a conv with bias, relu) runs once on the image (and so does v1's bottom-up
conv of it, the same at every step). Then, unrolled for
``n_steps``, four recurrent conv layers ``v1, v2, v4, it`` (2×2 max-pool on the input of
v2, v4 and it; bias-free convs), each ``relu(LayerNorm(drive))`` with LayerNorm over
(C, H, W), and a global-average-pooled layer ``gap`` with ``relu(LayerNorm(drive))`` over
its 512 units, read out by a linear map to the classes. Recurrent drive from step t−1:
lateral (a conv on the layer's own output; a bias-free linear map at ``gap``) and top-down
(a stride-2 transposed conv from the layer above: into v1 from v2, into v2 from v4, into v4
from it). Interaction with the bottom-up drive b: additive ``b + l + t`` or multiplicative
``b · (1 + l + t)``; at t = 0 bottom-up only. Images are ``(3, H, W)`` as in the reference;
inside, feature maps are channel-last (``_layers``), and so are the LayerNorms' ``(H, W, C)``
affine parameters.
"""

from __future__ import annotations

import dataclasses

import equinox as eqx
import jax
import jax.numpy as jnp

from ._layers import conv, layer_norm_relu, max_pool, upsample

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


class BLT(eqx.Module):
    """A BLT-family network. ``net(image (3, H, W)) -> (logits (T, classes), pooled (T, D))``
    where ``pooled`` is the gap layer's output (non-negative); ``net.forward_batch`` does the
    same for a batch ``(B, 3, H, W)`` in one pass (which is faster than vmapping ``net``)."""

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
        self.norms = {name: eqx.nn.LayerNorm((config.resolution(name), config.resolution(name),
                                              config.channels(name))) for name in RECURRENT}
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

    def _step(self, x, v1_drive, previous):
        """One time step on a batch; ``x`` the retina's output, ``v1_drive`` v1's bottom-up
        drive (the same at every step), ``previous`` = {layer: output at t−1} (``None`` at t = 0)."""
        out = {}
        for name in RECURRENT:
            if POOLED_INPUT[name]:
                x = max_pool(x)
            terms = []
            if previous is not None and self.lateral is not None:
                terms.append(conv(previous[name], self.lateral[name].weight))
            if previous is not None and self.top_down is not None and name in TOP_DOWN:
                terms.append(upsample(self.top_down[name], previous[TOP_DOWN[name]]))
            drive = v1_drive if name == "v1" else conv(x, self.bottom_up[name].weight)
            norm = self.norms[name]
            x = layer_norm_relu(self._combine(drive, sum(terms) if terms else None), norm.weight, norm.bias, norm.eps)
            out[name] = x
        gap = x.mean(axis=(1, 2))
        lateral = (jax.vmap(self.gap_lateral)(previous["gap"])
                   if previous is not None and self.gap_lateral is not None else None)
        out["gap"] = jax.nn.relu(jax.vmap(self.gap_norm)(self._combine(gap, lateral)))
        return out

    def forward_batch(self, images):
        """``images (B, 3, H, W) -> (logits (B, T, classes), pooled (B, T, D))``: the network
        on a batch (what :func:`blt_loss` and :func:`rnnpop.vision.responses` call)."""
        x = jnp.transpose(images, (0, 2, 3, 1))
        retina = jax.nn.relu(conv(x, self.retina.weight) + self.retina.bias[:, 0, 0])
        v1_drive = conv(retina, self.bottom_up["v1"].weight)
        state, pooled = None, []
        for _ in range(self.config.n_steps):
            state = self._step(retina, v1_drive, state)
            pooled.append(state["gap"])
        pooled = jnp.stack(pooled, axis=1)
        return jax.vmap(jax.vmap(self.readout))(pooled), pooled

    def __call__(self, image):
        """``image (3, H, W) -> (logits (T, classes), pooled (T, D))``."""
        logits, pooled = self.forward_batch(image[None])
        return logits[0], pooled[0]


def blt_loss(net: BLT, images, labels):
    """Log-softmax NLL summed over time steps, averaged over the batch.
    ``images (B, 3, H, W)``, ``labels (B,)``."""
    logits, _ = net.forward_batch(images)  # (B, T, C)
    logp = jax.nn.log_softmax(logits, axis=-1)
    nll = -jnp.take_along_axis(logp, labels[:, None, None], axis=-1)[..., 0]
    return nll.sum(axis=1).mean()
