"""``Network.batch`` equals the vmapped one-trial network and autodiff through its scan:
the same states and outputs, the same gradients of a loss on the hidden states and the cell
states, with respect to every weight and to the inputs (float32 precision), for every cell
and activation — on the native kernels
(``n_units`` a multiple of 8, where they build), on the passes written in JAX and on autodiff."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from rnnpop import _native
from rnnpop.models import Network

CELLS = ["vanilla", "ugrnn", "gru", "lstm", "gru_torch"]


def check_against_autodiff(net, inputs, weights):
    def loss(net, run):
        states, outputs = run(net, inputs)
        return jnp.sum(weights * states) + jnp.sum(jnp.sin(outputs))

    hand, reference = (lambda n, x: n.batch(x)), (lambda n, x: jax.vmap(n)(x))
    for ours, theirs in zip(hand(net, inputs), reference(net, inputs)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    g_ours = jax.grad(loss)(net, hand)
    g_ref = jax.grad(loss)(net, reference)
    dx_ours = jax.grad(lambda x: loss(net, lambda n, _: hand(n, x)))(inputs)
    dx_ref = jax.grad(lambda x: loss(net, lambda n, _: reference(n, x)))(inputs)
    assert len(jax.tree_util.tree_leaves(g_ours)) == len(jax.tree_util.tree_leaves(g_ref))
    for a, b in zip(jax.tree_util.tree_leaves(g_ours) + [dx_ours], jax.tree_util.tree_leaves(g_ref) + [dx_ref]):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5 * float(jnp.max(jnp.abs(b))))


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("n_units", [6, 16])  # 6: the JAX passes or autodiff; 16: the native kernels
def test_batch_equals_the_vmapped_network_and_its_autodiff_gradient(cell, activation, n_units):
    net = Network.create(cell, activation, n_inputs=3, n_units=n_units, n_outputs=2, key=jax.random.key(1))
    rng = np.random.default_rng(0)
    inputs = jnp.asarray(rng.normal(size=(5, 12, 3)), jnp.float32)
    weights = jnp.asarray(rng.normal(size=(5, 12, net.state_size)), jnp.float32)  # h and (LSTM) c parts
    check_against_autodiff(net, inputs, weights)


@pytest.mark.parametrize("cell", ["vanilla", "lstm"])
def test_the_jax_passes_equal_autodiff_where_the_kernels_would_run(cell, monkeypatch):
    monkeypatch.setattr(_native, "used_for", lambda *arrays: False)
    net = Network.create(cell, "tanh", n_inputs=3, n_units=16, n_outputs=2, key=jax.random.key(2))
    rng = np.random.default_rng(1)
    check_against_autodiff(net, jnp.asarray(rng.normal(size=(4, 9, 3)), jnp.float32),
                           jnp.asarray(rng.normal(size=(4, 9, net.state_size)), jnp.float32))


@pytest.mark.skipif(not _native.available(), reason="no C++ compiler here: the native kernels are not built")
@pytest.mark.parametrize("cell", ["vanilla", "ugrnn", "gru", "lstm"])
def test_the_kernels_run_a_vmapped_group_of_networks_as_the_trainer_does(cell):
    nets = eqx.filter_vmap(lambda k: Network.create(cell, "tanh", n_inputs=3, n_units=16, n_outputs=2, key=k))(
        jax.random.split(jax.random.key(3), 3))
    inputs = jnp.asarray(np.random.default_rng(2).normal(size=(4, 20, 3)), jnp.float32)

    def loss(net, run):
        return jnp.sum(jnp.tanh(run(net, inputs)[0]))

    assert "rnnpop_recurrence" in str(jax.make_jaxpr(lambda n: n.batch(inputs))(jax.tree_util.tree_map(
        lambda x: x[0] if eqx.is_array(x) else x, nets)))
    ours = eqx.filter_vmap(eqx.filter_grad(lambda n: loss(n, lambda m, x: m.batch(x))))(nets)
    theirs = eqx.filter_vmap(eqx.filter_grad(lambda n: loss(n, lambda m, x: jax.vmap(m)(x))))(nets)
    for a, b in zip(jax.tree_util.tree_leaves(ours), jax.tree_util.tree_leaves(theirs)):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5 * float(jnp.max(jnp.abs(b))))


def _ffi_attributes(jaxpr) -> dict:
    """The attributes of the backward kernel's call in a jaxpr (searched through sub-jaxprs)."""
    for eqn in jaxpr.eqns:
        attributes = dict(eqn.params.get("attributes", ()))
        if "state_cotangent" in attributes:
            return attributes
        for value in eqn.params.values():
            inner = getattr(value, "jaxpr", value)  # a closed jaxpr's, or a jaxpr
            if hasattr(inner, "eqns") and (found := _ffi_attributes(inner)):
                return found
    return {}


@pytest.mark.skipif(not _native.available(), reason="no C++ compiler here: the native kernels are not built")
@pytest.mark.parametrize("cell", ["vanilla", "ugrnn", "gru", "lstm"])
def test_a_loss_on_the_outputs_alone_or_the_states_alone_has_autodiffs_gradient(cell):
    """The kernels' backward pass skips a zero cotangent: the states' (the trainer's loss reads
    only the outputs) or the outputs'."""
    net = Network.create(cell, "tanh", n_inputs=3, n_units=16, n_outputs=2, key=jax.random.key(6))
    rng = np.random.default_rng(4)
    inputs = jnp.asarray(rng.normal(size=(4, 11, 3)), jnp.float32)
    targets = jnp.asarray(rng.normal(size=(4, 11, 2)), jnp.float32)
    weights = jnp.asarray(rng.normal(size=(4, 11, net.state_size)), jnp.float32)
    losses = {"outputs": lambda states, outputs: jnp.sum(jnp.square(outputs - targets)),
              "states": lambda states, outputs: jnp.sum(weights * jnp.tanh(states))}
    for name, loss in losses.items():
        ours = jax.grad(lambda n, x: loss(*n.batch(x)), argnums=(0, 1))
        theirs = jax.grad(lambda n, x: loss(*jax.vmap(n)(x)), argnums=(0, 1))
        if name == "outputs":  # the backward kernel is told not to read a states' cotangent
            assert _ffi_attributes(jax.make_jaxpr(ours)(net, inputs).jaxpr)["state_cotangent"] == 0
        for a, b in zip(jax.tree_util.tree_leaves(ours(net, inputs)), jax.tree_util.tree_leaves(theirs(net, inputs))):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5 * float(jnp.max(jnp.abs(b))))


# --- bfloat16 products (TrainConfig.matmul = "bfloat16") ------------------------------------

def _bf16(x):
    return x.astype(jnp.bfloat16).astype(jnp.float32)


@jax.custom_vjp
def _bf16_product(w, h):
    """``w (r, n) @ h (n,)`` from bfloat16-rounded operands, accumulated in float32, with the
    cotangents rounded too: the kernels' products forward and backward."""
    return jnp.dot(_bf16(w), _bf16(h), precision="highest")


def _bf16_product_forward(w, h):
    return _bf16_product(w, h), (w, h)


def _bf16_product_backward(saved, g):
    w, h = saved
    return jnp.outer(_bf16(g), _bf16(h)), jnp.dot(_bf16(g), _bf16(w), precision="highest")


_bf16_product.defvjp(_bf16_product_forward, _bf16_product_backward)


class _Bf16Matrix:
    """W_h whose products (``w_h @ h``, ``w_h[rows] @ h``, as the cells write them) are bf16's."""

    def __init__(self, w):
        self.w = w

    shape = property(lambda self: self.w.shape)

    def __getitem__(self, index):
        return _Bf16Matrix(self.w[index])

    def __matmul__(self, h):
        return _bf16_product(self.w, h)


def _mean_gap(a, b):
    return float(jnp.mean(jnp.abs(a - b)) / jnp.mean(jnp.abs(b)))


@pytest.mark.skipif(not (_native.available() and _native.has_bf16()), reason="this CPU has no AVX512-BF16")
@pytest.mark.parametrize("cell, activation", [("vanilla", "tanh"), ("ugrnn", "tanh"), ("gru", "tanh"), ("lstm", "tanh"),
                                              ("gru", "relu")])  # the products are shared by both activations
def test_bf16_products_equal_a_reference_with_rounded_operands_and_differ_from_float32(cell, activation):
    net = Network.create(cell, activation, n_inputs=3, n_units=32, n_outputs=2, key=jax.random.key(4))
    rng = np.random.default_rng(3)
    inputs = jnp.asarray(rng.normal(size=(5, 15, 3)), jnp.float32)  # an odd batch: the last trial pairs with 0
    weights = jnp.asarray(rng.normal(size=(5, 15, net.state_size)), jnp.float32)

    def run(net, how):
        if how == "reference":
            states, outputs = jax.vmap(eqx.tree_at(lambda n: n.cell.w_h, net, _Bf16Matrix(net.cell.w_h)))(inputs)
        else:
            states, outputs = net.batch(inputs, how)
        return states, jnp.sum(weights * states) + jnp.sum(jnp.sin(outputs))

    results = {how: (run(net, how)[0], jax.grad(lambda n: run(n, how)[1])(net))
               for how in ("bfloat16", "reference", "float32")}
    ours, reference, full = (jax.tree_util.tree_leaves(results[h]) for h in ("bfloat16", "reference", "float32"))
    for a, b, c in zip(ours, reference, full):  # states, then every gradient
        # a bf16 rounding may flip where float32 sums differ in their last bit, so the test is
        # on the mean gap: the reference's gap a few 1e-6, float32's about 1e-3 (plus float32's
        # summation order, 1e-7, for b_out's gradient, which bf16 hardly moves)
        assert _mean_gap(a, b) < 0.05 * _mean_gap(a, c) + 1e-6, (_mean_gap(a, b), _mean_gap(a, c))
        np.testing.assert_allclose(a, b, rtol=0.05, atol=0.02 * float(jnp.max(jnp.abs(b))))


@pytest.mark.skipif(not _native.available(), reason="no C++ compiler here: the native kernels are not built")
@pytest.mark.parametrize("matmul", ["float32", "bfloat16"])
@pytest.mark.parametrize("cell", ["vanilla", "ugrnn", "gru", "lstm"])
def test_a_trials_states_and_input_gradient_do_not_depend_on_the_rest_of_its_batch(cell, matmul):
    """Bit for bit: each row of a product sums over k in the same order whatever row tile it
    falls in. 48 units give column panels of 64, 32 and 16 in some product of every cell; 13, 12
    and 1 trials give whole row tiles of 6, 8 and 12 rows, and remainders."""
    if matmul == "bfloat16" and not _native.has_bf16():
        pytest.skip("this CPU has no AVX512-BF16")
    net = Network.create(cell, "tanh", n_inputs=3, n_units=48, n_outputs=2, key=jax.random.key(6))
    rng = np.random.default_rng(7)
    inputs = jnp.asarray(rng.normal(size=(13, 15, 3)), jnp.float32)
    weights = jnp.asarray(rng.normal(size=(13, 15, 2)), jnp.float32)

    def run(x, w):
        def loss(x):
            return jnp.sum(w * jnp.sin(net.batch(x, matmul)[1]))

        return net.batch(x, matmul)[0], jax.grad(loss)(x)

    whole = run(inputs, weights)
    parts = [run(inputs[a:b], weights[a:b]) for a, b in ((0, 1), (1, 13))]
    for got, *pieces in zip(whole, *parts):
        np.testing.assert_array_equal(got, np.concatenate(pieces))


def test_bf16_is_refused_where_the_kernels_cannot_take_it(monkeypatch):
    net = Network.create("gru_torch", "tanh", n_inputs=3, n_units=16, n_outputs=2, key=jax.random.key(5))
    with pytest.raises(ValueError, match="train.matmul = 'bfloat16' is for the vanilla, ugrnn, gru and lstm"):
        net.batch(jnp.zeros((2, 4, 3)), "bfloat16")
    net = Network.create("lstm", "tanh", n_inputs=3, n_units=24, n_outputs=2, key=jax.random.key(5))
    with pytest.raises(ValueError, match="multiple of 16, got 24"):
        net.batch(jnp.zeros((2, 4, 3)), "bfloat16")
    monkeypatch.setattr(_native, "has_bf16", lambda: False)
    net = Network.create("lstm", "tanh", n_inputs=3, n_units=32, n_outputs=2, key=jax.random.key(5))
    with pytest.raises(ValueError, match="a CPU with AVX512-BF16"):
        net.batch(jnp.zeros((2, 4, 3)), "bfloat16")
