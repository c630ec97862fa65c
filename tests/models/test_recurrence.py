"""``Network.batch`` equals the vmapped one-trial network and autodiff through its scan:
the same states and outputs, the same gradients of a loss on the hidden states and the cell
states (float32 precision), for every cell and activation — on the native kernels
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
    for a, b in zip(jax.tree_util.tree_leaves(g_ours), jax.tree_util.tree_leaves(g_ref)):
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
