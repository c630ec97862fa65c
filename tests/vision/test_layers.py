"""The channel-last building blocks: the halving sum, the LayerNorm + ReLU (the native kernels
and XLA's hand-written VJP, against autodiff of the plain formula and Equinox's LayerNorm, also
on an image of NaNs), 2×2 max-pooling and its gradient, and the whole network's gradient against
PyTorch autograd on the reference architecture."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnpop.vision import BLTConfig, blt_from_state_dict, blt_loss
from rnnpop.vision._layers import batch_sum, layer_norm_relu, max_pool


@settings(max_examples=20, deadline=None)
@given(n=st.integers(1, 37), seed=st.integers(0, 2**16))
def test_batch_sum_equals_the_sum_over_the_leading_axis(n, seed):
    x = np.random.default_rng(seed).normal(size=(n, 3, 4)).astype(np.float32)
    np.testing.assert_allclose(batch_sum(jnp.asarray(x)), x.sum(0), rtol=1e-5, atol=1e-5)


def _plain(z, weight, bias, eps):
    axes = tuple(range(1, z.ndim))
    mean = z.mean(axes, keepdims=True)
    var = jnp.square(z - mean).mean(axes, keepdims=True)
    return jax.nn.relu((z - mean) / jnp.sqrt(var + eps) * weight + bias)


def test_layer_norm_relu_is_equinox_layer_norm_then_relu(kernels):
    z = jax.random.normal(jax.random.key(0), (5, 4, 4, 3)) * 3.0 + 1.0
    norm = eqx.nn.LayerNorm((4, 4, 3))
    affine = jax.random.normal(jax.random.key(1), (4, 4, 3)), jax.random.normal(jax.random.key(2), (4, 4, 3))
    norm = eqx.tree_at(lambda n: (n.weight, n.bias), norm, affine)
    expected = jax.nn.relu(jax.vmap(norm)(z))
    np.testing.assert_allclose(layer_norm_relu(z, norm.weight, norm.bias, norm.eps), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("batch, image", [(1, (4, 4, 3)), (6, (4, 4, 3)), (7, (4, 4, 3)), (3, (5, 6, 16))])
def test_layer_norm_relu_gradient_equals_autodiff(batch, image, kernels):
    """(5, 6, 16) has 480 values an image: whole vectors of lanes; (4, 4, 3) leaves a remainder."""
    keys = jax.random.split(jax.random.key(batch), 4)
    z = jax.random.normal(keys[0], (batch, *image)) * 2.0 + 0.5
    weight, bias = 1.0 + 0.3 * jax.random.normal(keys[1], image), 0.3 * jax.random.normal(keys[2], image)
    cotangent = jax.random.normal(keys[3], z.shape)
    got = jax.vjp(lambda *a: layer_norm_relu(*a, 1e-5), z, weight, bias)[1](cotangent)
    expected = jax.vjp(lambda *a: _plain(*a, 1e-5), z, weight, bias)[1](cotangent)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("jit", [False, True])
def test_layer_norm_relu_on_a_nan_image_equals_the_plain_formula(jit, kernels):
    """An image of NaNs stays NaN and leaves the others exact: in the native kernels, and in
    XLA's VJP, whose output and input gradient go through ``_materialize``'s conditional (an
    image of NaNs takes its second branch)."""
    keys = jax.random.split(jax.random.key(3), 4)
    z = (jax.random.normal(keys[0], (3, 4, 4, 2)) * 2.0).at[1].set(jnp.nan)
    weight, bias = 1.0 + 0.3 * jax.random.normal(keys[1], (4, 4, 2)), 0.3 * jax.random.normal(keys[2], (4, 4, 2))
    cotangent = jax.random.normal(keys[3], z.shape)

    def vjp(fn):
        out, pullback = jax.vjp(lambda z: fn(z, weight, bias, 1e-5), z)
        return out, pullback(cotangent)[0]
    got = (jax.jit(vjp, static_argnums=0) if jit else vjp)(layer_norm_relu)
    expected = vjp(_plain)
    assert bool(jnp.isnan(got[0][1]).all()) and bool(jnp.isnan(got[1][1]).all())
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g[::2], e[::2], rtol=1e-4, atol=1e-5)


def _autodiff_max_pool(x):
    b, h, w, c = x.shape
    return x.reshape(b, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))


def test_max_pool_and_its_gradient_equal_autodiff_without_ties():
    x = jax.random.normal(jax.random.key(4), (3, 6, 8, 5))
    cotangent = jax.random.normal(jax.random.key(5), (3, 3, 4, 5))
    got, pullback = jax.vjp(max_pool, x)
    expected, expected_pullback = jax.vjp(_autodiff_max_pool, x)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(pullback(cotangent)[0], expected_pullback(cotangent)[0])


def test_max_pool_gradient_goes_to_the_first_maximum_of_each_window():
    """Windows (row by row): all tied; the last two tied; one maximum; no value repeated."""
    windows = [[[2.0, 2.0], [2.0, 2.0]], [[0.0, 1.0], [3.0, 3.0]], [[5.0, -1.0], [0.0, 0.0]], [[1.0, 2.0], [3.0, 4.0]]]
    x = jnp.asarray(np.concatenate([np.asarray(w) for w in windows], axis=1)[None, :, :, None])  # (1, 2, 8, 1)
    dy = jnp.asarray([10.0, 20.0, 30.0, 40.0])[None, None, :, None]
    dx = jax.vjp(max_pool, x)[1](dy)[0][0, :, :, 0]
    expected = np.array([[10, 0, 0, 0, 30, 0, 0, 0], [0, 0, 20, 0, 0, 0, 0, 40]], dtype=np.float32)
    np.testing.assert_array_equal(dx, expected)


torch = pytest.importorskip("torch")
from rnnpop.vision._torch_reference import TorchBLT  # noqa: E402


@pytest.mark.parametrize("interaction, widths", [("additive", (4, 6, 8, 8, 12)), ("multiplicative", (4, 6, 8, 8, 12)),
                                                 ("additive", (8, 16, 8, 32, 24))])
def test_blt_gradient_equals_pytorch_autograd_on_the_reference(interaction, widths, kernels):
    """Widths that are multiples of 8 run every convolution in the native kernels; the others
    run some in XLA (channel counts the kernels do not take)."""
    config = BLTConfig(variant="BLT", interaction=interaction, widths=widths, image_size=16, n_classes=5, n_steps=3)
    torch.manual_seed(1)
    reference = TorchBLT(config)
    with torch.no_grad():
        for name, p in reference.named_parameters():
            if "_ln" in name:
                p.add_(0.1 * torch.randn_like(p))
    images, labels = torch.randn(4, 3, 16, 16), torch.tensor([0, 3, 1, 4])
    logp = torch.log_softmax(reference(images), dim=-1)
    (-logp.gather(-1, labels[:, None, None].expand(-1, 3, 1)).sum(dim=1).mean()).backward()
    net = blt_from_state_dict(reference.state_dict(), config)
    expected = blt_from_state_dict({k: p.grad for k, p in reference.named_parameters()}, config)
    # A fresh function per call: a cached trace would reuse the other parametrisation's kernels.
    gradient = eqx.filter_jit(lambda *args: eqx.filter_grad(blt_loss)(*args))
    got = gradient(net, jnp.asarray(images.numpy()), jnp.asarray(labels.numpy()))
    pairs = zip(jax.tree_util.tree_leaves(eqx.filter(got, eqx.is_array)),
                jax.tree_util.tree_leaves(eqx.filter(expected, eqx.is_array)))
    for g, e in pairs:
        assert float(jnp.linalg.norm(g - e)) <= 1e-4 * float(jnp.linalg.norm(e)) + 1e-6
