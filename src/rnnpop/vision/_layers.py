"""Channel-last building blocks of the BLT networks, for a batch of feature maps
``(B, H, W, C)``.

Why this form (measured with ``benchmarks/vision_throughput.py`` and
``benchmarks/vision_formulations.py``): on a CPU the convolutions (forward, input and weight
gradients) and LayerNorm + ReLU (forward and backward) are native kernels (:mod:`._native`),
with which the training step is 1.33× and 1.17× faster than with XLA:CPU's operations;
max-pooling sends each gradient to its window's first maximum, as PyTorch does, where
autodiff would split it among ties through a slow reduction (1.07×).
Where the kernels cannot be built (no C++ compiler), or on other backends, XLA runs
everything, channel-last so that its convolutions and their input gradients need no layout
transposes (the weight gradients still transpose both operands), with a hand-written VJP for
LayerNorm + ReLU that sums its parameter gradients over the batch by halving, because XLA:CPU
reduces over a leading axis several times slower than it adds two halves, and writes the
LayerNorm's output and input gradient to buffers of their own (:func:`_materialize`).
The stride-2 transposed convolution is one ordinary convolution and a pixel shuffle.
"""

from __future__ import annotations

import functools

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .. import _native

_DIMENSIONS = ("NHWC", "OIHW", "NHWC")  # weights stay in Equinox's (out, in, kh, kw)
# The native convolution kernels stream the whole kernel per tile of output, which is faster
# than XLA:CPU's while it fits in a core's L2 cache (1 MiB) and slower beyond: the paper's
# v4 and it layers (256-512 channels) measured 1.0-1.9x slower in the native kernels.
_NATIVE_MAX_WEIGHTS = 2**18


def conv(x, weight, padding="SAME"):
    """``x (B, H, W, C_in)``, ``weight (C_out, C_in, kh, kw)`` -> ``(B, H', W', C_out)``, stride 1;
    ``padding`` is ``"SAME"``, ``"VALID"`` or ``((top, bottom), (left, right))``.

    On a CPU (float32) the native kernels of :mod:`._native` compute it and its gradients
    when they build here, ``C_out`` is a multiple of 8, the kernel has at most
    :data:`_NATIVE_MAX_WEIGHTS` weights and no padding is negative (the input gradient too
    when ``C_in`` is a multiple of 8); otherwise XLA does.
    """
    pads = _explicit(padding, weight.shape[2:])
    if (weight.shape[0] % 8 == 0 and weight.size <= _NATIVE_MAX_WEIGHTS and min(min(pads)) >= 0
            and _native.used_for(x, weight)):
        return _conv_native(x, weight, pads)
    return _xla_conv(x, weight, pads)


def _explicit(padding, kernel):
    """``padding`` as ``((top, bottom), (left, right))`` ints for a stride-1 ``kernel (kh, kw)``."""
    if padding == "SAME":
        return tuple(((k - 1) // 2, k - 1 - (k - 1) // 2) for k in kernel)
    if padding == "VALID":
        return ((0, 0), (0, 0))
    return tuple((int(lo), int(hi)) for lo, hi in padding)


def _xla_conv(x, weight, pads):
    return jax.lax.conv_general_dilated(x, weight, (1, 1), pads, dimension_numbers=_DIMENSIONS)


def _native_conv(x, kernel, pads):
    """``x (B, H, W, I)``, ``kernel (kh, kw, I, O)``, ``pads`` >= 0 -> ``(B, H', W', O)``."""
    (top, bottom), (left, right) = pads
    kh, kw, _, c_out = kernel.shape
    shape = (x.shape[0], x.shape[1] + top + bottom - kh + 1, x.shape[2] + left + right - kw + 1, c_out)
    call = jax.ffi.ffi_call("rnnpop_conv", jax.ShapeDtypeStruct(shape, x.dtype), vmap_method="sequential")
    return call(x, kernel, pad_top=np.int64(top), pad_left=np.int64(left))


@functools.partial(jax.custom_vjp, nondiff_argnums=(2,))
def _conv_native(x, weight, pads):
    return _native_conv(x, weight.transpose(2, 3, 1, 0), pads)


def _conv_forward(x, weight, pads):
    return _conv_native(x, weight, pads), (x, weight)


def _conv_backward(pads, residuals, g):
    x, weight = residuals
    kh, kw = weight.shape[2:]
    (top, bottom), (left, right) = pads
    flipped = ((kh - 1 - top, kh - 1 - bottom), (kw - 1 - left, kw - 1 - right))  # the input gradient's padding
    if weight.shape[1] % 8 == 0 and min(min(flipped)) >= 0:
        input_grad = _native_conv(g, jnp.flip(weight, (2, 3)).transpose(2, 3, 0, 1), flipped)
    else:
        input_grad = jax.vjp(lambda x: _xla_conv(x, weight, pads), x)[1](g)[0]
    weight_grad = jax.ffi.ffi_call("rnnpop_conv_weight_grad", jax.ShapeDtypeStruct(weight.shape, weight.dtype),
                                   vmap_method="sequential")
    return input_grad, weight_grad(x, g, pad_top=np.int64(top), pad_left=np.int64(left))


_conv_native.defvjp(_conv_forward, _conv_backward)


@jax.custom_vjp
def max_pool(x):
    """2×2 max-pooling, stride 2: ``(B, H, W, C) -> (B, H/2, W/2, C)``. Its gradient goes to
    the first maximum of each window (row by row), as in PyTorch; autodiff would split it
    among tied maxima, through a reduction XLA:CPU runs slowly. (Ties are where the ReLU
    before the pooling gave zeros, and the ReLU's own gradient is zero there, so the
    network's gradient is the same either way.)"""
    return _windows(x).max(axis=(2, 4))


def _windows(x):
    b, h, w, c = x.shape
    return x.reshape(b, h // 2, 2, w // 2, 2, c)


def _max_pool_forward(x):
    y = max_pool(x)
    return y, (x, y)


def _max_pool_backward(residuals, dy):
    x, y = residuals
    hit = _windows(x) == y[:, :, None, :, None, :]
    first = [hit[:, :, 0, :, 0]]  # window positions (0, 0), (0, 1), (1, 0), (1, 1)
    earlier = first[0]
    for i, j in ((0, 1), (1, 0), (1, 1)):
        first.append(hit[:, :, i, :, j] & ~earlier)
        earlier = earlier | hit[:, :, i, :, j]
    zero = jnp.zeros_like(dy)
    rows = [jnp.stack([jnp.where(first[2 * i], dy, zero), jnp.where(first[2 * i + 1], dy, zero)], axis=3) for i in (0, 1)]
    return (jnp.stack(rows, axis=2).reshape(x.shape),)


max_pool.defvjp(_max_pool_forward, _max_pool_backward)


def batch_sum(x):
    """``x.sum(0)``, added up by halving the leading axis (see the module docstring)."""
    while x.shape[0] > 1:
        half = x.shape[0] // 2
        pairs = x[:half] + x[half:2 * half]
        x = pairs if x.shape[0] % 2 == 0 else jnp.concatenate([pairs, x[2 * half:]])
    return x[0]


def layer_norm_relu(z, weight, bias, eps):
    """``relu(LayerNorm(z))`` over all but the leading axis, with an elementwise affine.

    ``z (B, ...)``; ``weight``, ``bias`` shaped like ``z[0]``; ``eps`` a float. On a CPU
    (float32) the native kernels of :mod:`._native` compute it and its gradient when they
    build here; otherwise XLA does, with the hand-written VJP below.
    """
    if weight.shape == bias.shape == z.shape[1:] and _native.used_for(z, weight, bias):
        return _layer_norm_relu_native(z, weight, bias, float(eps))
    return _layer_norm_relu_xla(z, weight, bias, eps)


@functools.partial(jax.custom_vjp, nondiff_argnums=(3,))
def _layer_norm_relu_native(z, weight, bias, eps):
    return _native_forward(z, weight, bias, eps)[0]


def _native_forward(z, weight, bias, eps):
    flat, images = z.reshape(z.shape[0], -1), jax.ShapeDtypeStruct(z.shape[:1], z.dtype)
    y, mean, rstd = jax.ffi.ffi_call("rnnpop_layer_norm_relu", (jax.ShapeDtypeStruct(flat.shape, z.dtype), images, images),
                                     vmap_method="sequential")(flat, weight.reshape(-1), bias.reshape(-1), eps=np.float32(eps))
    return y.reshape(z.shape), (z, mean, rstd, weight, bias)


def _native_backward(eps, residuals, dy):
    z, mean, rstd, weight, bias = residuals
    flat = z.reshape(z.shape[0], -1)
    values = jax.ShapeDtypeStruct(flat.shape[1:], z.dtype)
    dz, dweight, dbias = jax.ffi.ffi_call("rnnpop_layer_norm_relu_backward",
                                          (jax.ShapeDtypeStruct(flat.shape, z.dtype), values, values),
                                          vmap_method="sequential")(flat, mean, rstd, weight.reshape(-1),
                                                                    bias.reshape(-1), dy.reshape(flat.shape))
    return dz.reshape(z.shape), dweight.reshape(weight.shape), dbias.reshape(bias.shape)


_layer_norm_relu_native.defvjp(_native_forward, _native_backward)


@jax.custom_vjp
def _layer_norm_relu_xla(z, weight, bias, eps):
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


_layer_norm_relu_xla.defvjp(_layer_norm_relu_forward, _layer_norm_relu_backward)


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
