"""The BLT family of recurrent convolutional networks (Thorat, Doerig & Kietzmann, CCN 2023).

Five conv layers (retina, v1, v2, v4, it; 2×2 max-pool on the input of v2, v4 and it),
each ``relu(LayerNorm(drive))``, global average pooling, a bias-free linear readout,
unrolled for ``n_steps``. Recurrent drive from step t−1: lateral (a conv on the layer's own
output; a linear map at the pooled layer) and top-down (a transposed conv from the layer
above, into v2 from v4 and into v4 from it). Interaction with the bottom-up drive b:
additive ``b + l + t`` or multiplicative ``b · (1 + l + t)``; at t = 0 bottom-up only.
Images are ``(3, H, W)`` (channels first); vmap over a batch.
"""

from __future__ import annotations

import dataclasses

import equinox as eqx
import jax
import jax.numpy as jnp

VARIANTS = ("B", "BL", "BT", "BLT")
INTERACTIONS = ("additive", "multiplicative")
LAYERS = ("retina", "v1", "v2", "v4", "it")
POOLED_INPUT = (False, False, True, True, True)  # 2×2 max-pool on the input of v2, v4, it
TOP_DOWN = {2: 3, 3: 4}  # into v2 from v4, into v4 from it


@dataclasses.dataclass(frozen=True)
class BLTConfig:
    """Shape of a BLT network; the defaults are the paper's (64×64 RGB, 10 steps)."""

    variant: str = "BLT"
    interaction: str = "additive"
    widths: tuple[int, ...] = (32, 64, 128, 256, 512)
    n_classes: int = 100
    n_steps: int = 10
    kernel: int = 3

    def __post_init__(self):
        if self.variant not in VARIANTS:
            raise ValueError(f"variant must be one of {list(VARIANTS)}, got {self.variant!r}")
        if self.interaction not in INTERACTIONS:
            raise ValueError(f"interaction must be one of {list(INTERACTIONS)}, got {self.interaction!r}")
        if len(self.widths) != len(LAYERS) or min(self.widths) < 1:
            raise ValueError(f"widths must be {len(LAYERS)} positive channel counts, got {self.widths}")
        for name in ("n_classes", "n_steps", "kernel"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")

    @property
    def lateral(self) -> bool:
        return "L" in self.variant

    @property
    def top_down(self) -> bool:
        return "T" in self.variant


class ChannelLayerNorm(eqx.Module):
    """LayerNorm over (C, H, W) with a per-channel scale and shift."""

    scale: jax.Array
    shift: jax.Array

    def __init__(self, channels: int):
        self.scale = jnp.ones((channels, 1, 1))
        self.shift = jnp.zeros((channels, 1, 1))

    def __call__(self, x):
        mean = x.mean()
        var = ((x - mean) ** 2).mean()
        return (x - mean) * jax.lax.rsqrt(var + 1e-5) * self.scale + self.shift


def _pool(x):
    c, h, w = x.shape
    return x[:, : h // 2 * 2, : w // 2 * 2].reshape(c, h // 2, 2, w // 2, 2).max(axis=(2, 4))


class BLT(eqx.Module):
    """A BLT-family network. ``net(image (3, H, W)) -> (logits (T, classes), pooled (T, D))``."""

    config: BLTConfig = eqx.field(static=True)
    bottom_up: list
    norms: list
    lateral: list | None
    top_down: dict | None
    pooled_lateral: eqx.nn.Linear | None
    readout: eqx.nn.Linear

    def __init__(self, config: BLTConfig, *, key: jax.Array):
        self.config = config
        k_bu, k_lat, k_td, k_pool, k_out = jax.random.split(key, 5)
        channels = (3, *config.widths)
        pad = config.kernel // 2
        self.bottom_up = [eqx.nn.Conv2d(channels[i], channels[i + 1], config.kernel, padding=pad, key=k)
                          for i, k in enumerate(jax.random.split(k_bu, len(LAYERS)))]
        self.norms = [ChannelLayerNorm(c) for c in config.widths]
        self.lateral = ([eqx.nn.Conv2d(c, c, 3, padding=1, key=k)
                         for c, k in zip(config.widths, jax.random.split(k_lat, len(LAYERS)))]
                        if config.lateral else None)
        self.top_down = ({str(dst): eqx.nn.ConvTranspose2d(config.widths[src], config.widths[dst], 2, stride=2, key=k)
                          for (dst, src), k in zip(TOP_DOWN.items(), jax.random.split(k_td, len(TOP_DOWN)))}
                         if config.top_down else None)
        d = config.widths[-1]
        self.pooled_lateral = eqx.nn.Linear(d, d, key=k_pool) if config.lateral else None
        self.readout = eqx.nn.Linear(d, config.n_classes, use_bias=False, key=k_out)

    def _combine(self, bottom_up, recurrent):
        if self.config.interaction == "additive":
            return bottom_up + recurrent
        return bottom_up * (1.0 + recurrent)

    def _step(self, image, previous, first: bool):
        """One time step; ``previous`` = the layers' outputs and the pooled vector at t−1."""
        outputs, x = [], image
        prev_layers, prev_pooled = previous
        for i in range(len(LAYERS)):
            if POOLED_INPUT[i]:
                x = _pool(x)
            drive = self.bottom_up[i](x)
            if not first:
                recurrent = jnp.zeros_like(drive)
                if self.lateral is not None:
                    recurrent = recurrent + self.lateral[i](prev_layers[i])
                if self.top_down is not None and i in TOP_DOWN:
                    above = self.top_down[str(i)](prev_layers[TOP_DOWN[i]])
                    recurrent = recurrent + _fit(above, drive.shape)
                if self.lateral is not None or (self.top_down is not None and i in TOP_DOWN):
                    drive = self._combine(drive, recurrent)
            x = jax.nn.relu(self.norms[i](drive))
            outputs.append(x)
        pooled = x.mean(axis=(1, 2))
        if self.pooled_lateral is not None and not first:
            pooled = jax.nn.relu(self._combine(pooled, self.pooled_lateral(prev_pooled)))
        return outputs, pooled

    def __call__(self, image):
        layers, pooled = self._step(image, (None, None), first=True)
        pooled_all = [pooled]
        for _ in range(1, self.config.n_steps):
            layers, pooled = self._step(image, (layers, pooled), first=False)
            pooled_all.append(pooled)
        pooled_all = jnp.stack(pooled_all)
        return jax.vmap(self.readout)(pooled_all), pooled_all


def _fit(x, shape):
    """Crop or zero-pad ``x (C, h, w)`` to ``shape`` (odd sizes after pooling)."""
    c, h, w = shape
    x = x[:, :h, :w]
    return jnp.pad(x, ((0, 0), (0, h - x.shape[1]), (0, w - x.shape[2])))


def blt_loss(net: BLT, images, labels):
    """Log-softmax NLL summed over time steps, averaged over the batch.
    ``images (B, 3, H, W)``, ``labels (B,)``."""
    logits, _ = jax.vmap(net)(images)  # (B, T, C)
    logp = jax.nn.log_softmax(logits, axis=-1)
    nll = -jnp.take_along_axis(logp, labels[:, None, None], axis=-1)[..., 0]
    return nll.sum(axis=1).mean()
