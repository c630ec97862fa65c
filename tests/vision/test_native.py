"""The native CPU kernels: the convolution, its input and weight gradients against XLA's
convolution and autodiff over shapes that reach every path of the kernels (remainders of
channels and columns, every kernel width, asymmetric and zero padding, padding the kernels
leave to XLA), a closed-form case, and what happens when the kernels cannot be built."""

import shutil

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from rnnpop import _native
from rnnpop.vision._layers import _explicit, _xla_conv, conv


def test_the_kernels_build_where_there_is_a_compiler():
    if _native.compiler() is None:
        pytest.skip("no C++ compiler here")
    assert _native.available()


CASES = [  # c_in, c_out, kernel (kh, kw), padding, input (B, H, W)
    (8, 16, (3, 3), "SAME", (2, 9, 7)),
    (17, 32, (3, 3), "SAME", (1, 5, 6)),  # 17 inputs: every remainder of a channel block
    (3, 8, (3, 3), "SAME", (2, 8, 8)),  # 3 inputs: the input gradient stays with XLA
    (24, 24, (2, 2), ((0, 1), (0, 1)), (2, 4, 5)),  # the top-down convolution's form
    (16, 48, (5, 5), "SAME", (1, 11, 19)),  # 19 columns: every remainder of a column tile
    (8, 8, (1, 1), "VALID", (2, 3, 4)),
    (8, 16, (1, 3), ((0, 0), (2, 1)), (1, 4, 6)),
    (16, 8, (4, 2), ((2, 0), (1, 2)), (2, 7, 5)),
    (8, 16, (2, 2), ((3, 3), (0, 4)), (1, 3, 3)),  # more padding than kernel: the input gradient stays with XLA
]


@pytest.mark.parametrize("c_in, c_out, kernel, padding, shape", CASES)
def test_conv_and_its_gradients_equal_xla_and_autodiff(c_in, c_out, kernel, padding, shape, kernels):
    keys = jax.random.split(jax.random.key(c_in * 100 + c_out), 3)
    x = jax.random.normal(keys[0], (*shape, c_in))
    weight = jax.random.normal(keys[1], (c_out, c_in, *kernel))
    pads = _explicit(padding, kernel)
    out, pullback = jax.jit(lambda x, w: jax.vjp(lambda x, w: conv(x, w, padding), x, w))(x, weight)
    expected, expected_pullback = jax.vjp(lambda x, w: _xla_conv(x, w, pads), x, weight)
    cotangent = jax.random.normal(keys[2], expected.shape)
    for got, want in zip((out, *pullback(cotangent)), (expected, *expected_pullback(cotangent))):
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-5 * float(jnp.abs(want).max()))


def test_a_centred_delta_kernel_copies_the_input_and_its_weight_gradient_is_a_product(kernels):
    """With w[o, i] = δ_oi at the kernel's centre, SAME padding: out = x. The weight gradient
    of Σ out·g at tap (dy, dx) is Σ over pixels of g[h, w, o]·x[h + dy − 1, w + dx − 1, i]."""
    x = jax.random.normal(jax.random.key(0), (2, 6, 5, 8))
    g = jax.random.normal(jax.random.key(1), (2, 6, 5, 8))
    weight = jnp.zeros((8, 8, 3, 3)).at[:, :, 1, 1].set(jnp.eye(8))
    out, pullback = jax.vjp(lambda w: conv(x, w), weight)
    np.testing.assert_allclose(out, x, rtol=0, atol=0)
    padded = np.pad(np.asarray(x), ((0, 0), (1, 1), (1, 1), (0, 0)))
    expected = np.stack([np.stack([np.einsum("bhwo,bhwi->oi", g, padded[:, dy:dy + 6, dx:dx + 5]) for dx in range(3)],
                                  -1) for dy in range(3)], -2)
    np.testing.assert_allclose(pullback(g)[0], expected, rtol=1e-5, atol=1e-5)


def test_a_failing_compiler_warns_and_leaves_the_layers_to_xla(tmp_path, monkeypatch):
    failing = tmp_path / "failing-c++"
    failing.write_text("#!/bin/sh\necho 'no such compiler' >&2\nexit 1\n")
    failing.chmod(0o755)
    monkeypatch.setenv("CXX", str(failing))
    monkeypatch.setenv("RNNPOP_CACHE", str(tmp_path / "cache"))
    with pytest.warns(RuntimeWarning, match="no such compiler"):
        assert _native._library.__wrapped__() is None  # the uncached build attempt
    assert not list((tmp_path / "cache").glob("*.so"))


def test_the_build_is_cached_by_source_compiler_and_cpu(tmp_path, monkeypatch):
    cxx = _native.compiler()
    if cxx is None or shutil.which(cxx) is None:
        pytest.skip("no C++ compiler here")
    monkeypatch.setenv("RNNPOP_CACHE", str(tmp_path))
    path = _native.library_path(cxx)
    assert path.parent == tmp_path and path == _native.library_path(cxx)
    path.write_bytes(b"a build")
    assert _native.build(cxx) == path and path.read_bytes() == b"a build"  # reused, not rebuilt
    monkeypatch.setattr(_native, "_cpu", lambda: "another CPU")
    assert _native.library_path(cxx) != path
    monkeypatch.undo()
    monkeypatch.setenv("RNNPOP_CACHE", str(tmp_path))
    monkeypatch.setattr(_native, "SOURCES", _native.SOURCES[1:])
    assert _native.library_path(cxx) != path
