"""Channel-last building blocks of the BLT networks, for a batch of feature maps
``(B, H, W, C)``.

Why this form (measured on XLA:CPU with ``benchmarks/vision_throughput.py`` and
``benchmarks/vision_formulations.py``): channel-last activations need no layout transposes
around XLA's convolutions and their input gradients (the weight gradients still transpose
both operands); the LayerNorm + ReLU pair has a hand-written VJP that sums its parameter
gradients over the batch by halving, because XLA:CPU reduces over a leading axis several
times slower than it adds two halves; that VJP also writes the LayerNorm's output and input
gradient to buffers of their own on a CPU (:func:`_materialize`); and the stride-2 transposed
convolution is one ordinary convolution and a pixel shuffle.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

_DIMENSIONS = ("NHWC", "OIHW", "NHWC")  # weights stay in Equinox's (out, in, kh, kw)


def conv(x, weight, padding="SAME"):
    """``x (B, H, W, C_in)``, ``weight (C_out, C_in, k, k)`` -> ``(B, H', W', C_out)``;
    ``padding`` is ``"SAME"``, ``"VALID"`` or ``((top, bottom), (left, right))``."""
    return jax.lax.conv_general_dilated(x, weight, (1, 1), padding, dimension_numbers=_DIMENSIONS)


def max_pool(x):
    """2×2 max-pooling, stride 2: ``(B, H, W, C) -> (B, H/2, W/2, C)``."""
    b, h, w, c = x.shape
    return x.reshape(b, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))


def batch_sum(x):
    """``x.sum(0)``, added up by halving the leading axis (see the module docstring)."""
    while x.shape[0] > 1:
        half = x.shape[0] // 2
        pairs = x[:half] + x[half:2 * half]
        x = pairs if x.shape[0] % 2 == 0 else jnp.concatenate([pairs, x[2 * half:]])
    return x[0]


@jax.custom_vjp
def layer_norm_relu(z, weight, bias, eps):
    """``relu(LayerNorm(z))`` over all but the leading axis, with an elementwise affine.

    ``z (B, ...)``; ``weight``, ``bias`` shaped like ``z[0]``; ``eps`` a float.
    """
    xhat, _ = _normalise(z, eps)
    return jax.nn.relu(xhat * weight + bias)


def _normalise(z, eps):
    axes = tuple(range(1, z.ndim))
    mean = z.mean(axes, keepdims=True)
    rstd = jax.lax.rsqrt(jnp.square(z - mean).mean(axes, keepdims=True) + eps)
    return (z - mean) * rstd, rstd


def _materialize(x, rstd):
    """``x`` (B, ...) written to a buffer of its own on a CPU (unchanged elsewhere); ``rstd``
    (B, 1, ...) the LayerNorm's per-image scale, NaN exactly where all of ``x``'s image is.

    XLA:CPU fuses elementwise producers into the layout-changing copies in front of the
    convolutions' weight gradients and into each of their other consumers, so the LayerNorm's
    arithmetic was recomputed, in strided loops, several times per step. An operand of a
    conditional is a buffer, so it is computed once and the copies are plain transposes
    (``benchmarks/vision_formulations.py``); ``optimization_barrier`` does not do this, as
    XLA:CPU removes it. The two branches agree for every input: the second, taken only when
    an image is NaN, writes NaN where its ``rstd`` is.
    """
    if jax.default_backend() != "cpu":
        return x
    finite = rstd == rstd
    return jax.lax.cond(jnp.all(finite), lambda x: x, lambda x: jnp.where(finite, x, jnp.nan), x)


def _layer_norm_relu_forward(z, weight, bias, eps):
    xhat, rstd = _normalise(z, eps)
    return _materialize(jax.nn.relu(xhat * weight + bias), rstd), (xhat, rstd, weight, bias)


def _layer_norm_relu_backward(residuals, dy):
    xhat, rstd, weight, bias = residuals
    g = jnp.where(xhat * weight + bias > 0, dy, 0.0)  # ReLU's gradient, 0 at 0 as jax.nn.relu's
    dxhat = g * weight
    axes = tuple(range(1, g.ndim))
    dz = rstd * (dxhat - dxhat.mean(axes, keepdims=True) - xhat * (dxhat * xhat).mean(axes, keepdims=True))
    return _materialize(dz, rstd), batch_sum(g * xhat), batch_sum(g), None


layer_norm_relu.defvjp(_layer_norm_relu_forward, _layer_norm_relu_backward)


def upsample(conv_t: eqx.nn.ConvTranspose2d, x):
    """``conv_t`` (a stride-2 transposed conv with padding ``(k − 1)/2`` and output padding
    1) applied to ``x (B, h, w, C_in)`` -> ``(B, 2h, 2w, C_out)``, as one ordinary conv and a
    pixel shuffle: output pixel ``(2m + a, 2n + b)`` sums input pixels ``m + d`` with kernel
    taps ``a + p − 2d`` of the transposed conv (sub-pixel form). Same numbers as the dilated
    form Equinox uses, which XLA:CPU runs several times slower.
    """
    weight = jnp.flip(conv_t.weight, axis=(2, 3))  # (out, in, k, k), taps as PyTorch indexes them
    k = weight.shape[-1]
    p = (k - 1) // 2
    offsets = range(-((k - 1 - p) // 2) - 1, (p + 1) // 2 + 1)
    offsets = [d for d in offsets if any(0 <= a + p - 2 * d < k for a in (0, 1))]
    lo, hi = offsets[0], offsets[-1]

    def taps(a):  # (len(offsets),) kernel index or -1 for a zero tap
        return [a + p - 2 * d if 0 <= a + p - 2 * d < k else -1 for d in range(lo, hi + 1)]

    padded = jnp.pad(weight, ((0, 0), (0, 0), (0, 1), (0, 1)))  # index -1 -> zero
    phases = [padded[:, :, taps(a)][:, :, :, taps(b)] for a in (0, 1) for b in (0, 1)]
    y = conv(x, jnp.concatenate(phases), ((-lo, hi), (-lo, hi)))
    batch, h, w, c_out = x.shape[0], y.shape[1], y.shape[2], weight.shape[0]
    y = y.reshape(batch, h, w, 2, 2, c_out).transpose(0, 1, 3, 2, 4, 5)  # (B, h, a, w, b, out)
    return y.reshape(batch, 2 * h, 2 * w, c_out)
