"""The BLT family of recurrent convolutional networks (Thorat, Doerig & Kietzmann, CCN 2023),
following the authors' reference implementation (KietzmannLab/BLT-pytorch-CCN23, 64-px model).

``retina`` (a conv with bias, relu) runs once on the image (and so does v1's bottom-up
conv of it, the same at every step). Then, unrolled for
``n_steps``, four conv layers ``v1, v2, v4, it`` (2×2 max-pool on the input of
v2, v4 and it; bias-free convs), each ``relu(LayerNorm(drive))`` with LayerNorm over
(C, H, W), and a global-average-pooled layer ``gap`` with ``relu(LayerNorm(drive))`` over
its 512 units, read out by a linear map to the classes. Recurrent drive from step t−1:
lateral (a conv on the layer's own output; a bias-free linear map at ``gap``) and top-down
(a stride-2 transposed conv from the layer above: into v2 from v4, into v4 from it).
Interaction with the bottom-up drive b: additive ``b + l + t`` or multiplicative
``b · (1 + l + t)``; at t = 0 bottom-up only.

**Which layers are recurrent** follows the authors' forward pass, not their figure: v1
receives only its bottom-up drive at every step (their v1 module holds lateral and
top-down convolutions, which their forward never calls), so the recurrent layers are v2
(lateral, top-down from v4), v4 (lateral, top-down from it), it (lateral) and gap
(lateral). ``BLTConfig(v1_recurrent=True)`` gives v1 lateral and top-down (from v2) input
too, the paper's figure taken literally; ``lt_position="last"`` keeps recurrence at the
gap layer only (the authors' option of that name).

Initialisation as the authors' (``weights_init``): Xavier-uniform for every convolution
and linear map; the transposed (top-down) convolutions and all biases keep PyTorch's
defaults, uniform in ±1/√fan_in with PyTorch's fan_in (for a transposed convolution,
its output channels × kernel area).

Images are ``(3, H, W)`` as in the reference; inside, feature maps are channel-last
(``_layers``), and so are the LayerNorms' ``(H, W, C)`` affine parameters.
"""

from __future__ import annotations

import dataclasses
import math

import equinox as eqx
import jax
import jax.numpy as jnp

from ._layers import conv, layer_norm_relu, max_pool, upsample

VARIANTS = ("B", "BL", "BT", "BLT")
INTERACTIONS = ("additive", "multiplicative")
LT_POSITIONS = ("all", "last")
RECURRENT = ("v1", "v2", "v4", "it")
POOLED_INPUT = {"v1": False, "v2": True, "v4": True, "it": True}
TOP_DOWN = {"v1": "v2", "v2": "v4", "v4": "it"}  # layer: the layer above it that feeds back


@dataclasses.dataclass(frozen=True)
class BLTConfig:
    """Shape of a BLT network; the defaults are the paper's 64-px model (100 classes,
    10 steps). ``widths`` are the channels of retina, v1, v2, v4, it. ``v1_recurrent``:
    v1 gets lateral and top-down input too (the paper's figure; the authors' code does
    not); ``lt_position``: ``"all"`` layers or the ``"last"`` (gap) layer only."""

    variant: str = "BLT"
    interaction: str = "additive"
    widths: tuple[int, ...] = (32, 64, 128, 256, 512)
    image_size: int = 64
    n_classes: int = 100
    n_steps: int = 10
    kernel: int = 3
    readout_bias: bool = False
    v1_recurrent: bool = False
    lt_position: str = "all"

    def __post_init__(self):
        if self.lt_position not in LT_POSITIONS:
            raise ValueError(f"lt_position must be one of {list(LT_POSITIONS)}, got {self.lt_position!r}")
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

    def recurrent_layers(self, kind: str) -> tuple[str, ...]:
        """The conv layers that receive ``kind`` ("lateral" or "top_down") drive."""
        wanted = self.lateral if kind == "lateral" else self.top_down
        if not wanted or self.lt_position == "last":
            return ()
        layers = RECURRENT if kind == "lateral" else tuple(TOP_DOWN)
        return tuple(name for name in layers if name != "v1" or self.v1_recurrent)

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
        self.retina = _xavier(eqx.nn.Conv2d(3, config.channels("retina"), k, padding="SAME", key=next(keys)),
                              next(keys))
        below = dict(zip(RECURRENT, ("retina", "v1", "v2", "v4")))
        # bottom-up weights are drawn first, from the same keys for every variant
        self.bottom_up = {name: _xavier(eqx.nn.Conv2d(config.channels(below[name]), config.channels(name), k,
                                                      padding="SAME", use_bias=False, key=kk), kk)
                          for name, kk in zip(RECURRENT, jax.random.split(next(keys), 4))}
        self.norms = {name: eqx.nn.LayerNorm((config.resolution(name), config.resolution(name),
                                              config.channels(name))) for name in RECURRENT}
        d = config.channels("it")
        self.gap_norm = eqx.nn.LayerNorm(d)
        readout_key = next(keys)
        self.readout = _xavier(eqx.nn.Linear(d, config.n_classes, use_bias=config.readout_bias, key=readout_key),
                               readout_key)
        lateral_keys, top_keys, gap_key = next(keys), next(keys), next(keys)
        lateral = config.recurrent_layers("lateral")
        self.lateral = ({name: _xavier(eqx.nn.Conv2d(config.channels(name), config.channels(name), k,
                                                     padding="SAME", use_bias=False, key=kk), kk)
                         for name, kk in zip(RECURRENT, jax.random.split(lateral_keys, 4)) if name in lateral}
                        or None)
        top_down = config.recurrent_layers("top_down")
        self.top_down = ({name: _torch_default(eqx.nn.ConvTranspose2d(
                              config.channels(above), config.channels(name), k, stride=2, padding=(k - 1) // 2,
                              output_padding=1, use_bias=False, key=kk), kk)
                          for (name, above), kk in zip(TOP_DOWN.items(), jax.random.split(top_keys, 3))
                          if name in top_down} or None)
        self.gap_lateral = (_xavier(eqx.nn.Linear(d, d, use_bias=False, key=gap_key), gap_key)
                            if config.lateral else None)

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
            if previous is not None and self.lateral is not None and name in self.lateral:
                terms.append(conv(previous[name], self.lateral[name].weight))
            if previous is not None and self.top_down is not None and name in self.top_down:
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


def _xavier(layer, key):
    """``layer`` with a Xavier-uniform weight (PyTorch's ``xavier_uniform_``, as the authors
    initialise every ``Conv2d`` and ``Linear``): bound √(6 / (fan_in + fan_out)), fans
    counted over the kernel area. Biases keep their defaults."""
    shape = layer.weight.shape
    return _uniform_weight(layer, key, math.sqrt(6.0 / ((shape[0] + shape[1]) * math.prod(shape[2:]))))


def _torch_default(layer, key):
    """A transposed convolution with PyTorch's default weight: bound 1/√fan_in, with
    PyTorch's fan_in of a ``ConvTranspose2d`` weight ``(in, out, kh, kw)``: out · kh · kw
    (here the weight is stored ``(out, in, kh, kw)``, so its first axis)."""
    shape = layer.weight.shape
    return _uniform_weight(layer, key, 1.0 / math.sqrt(shape[0] * math.prod(shape[2:])))


def _uniform_weight(layer, key, bound: float):
    weight = layer.weight
    return eqx.tree_at(lambda m: m.weight, layer,
                       jax.random.uniform(jax.random.fold_in(key, 1), weight.shape, weight.dtype, -bound, bound))


def blt_loss(net: BLT, images, labels):
    """Log-softmax NLL summed over time steps, averaged over the batch.
    ``images (B, 3, H, W)``, ``labels (B,)``."""
    logits, _ = net.forward_batch(images)  # (B, T, C)
    logp = jax.nn.log_softmax(logits, axis=-1)
    nll = -jnp.take_along_axis(logp, labels[:, None, None], axis=-1)[..., 0]
    return nll.sum(axis=1).mean()
