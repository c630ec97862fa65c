"""The hand-written backward passes of ``Network.batch`` equal autodiff through the scan:
the same states and outputs as a vmapped one-trial network, the same gradients of a loss on
the hidden states and the cell states (float32 precision), for every cell and activation."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from rnnpop.models import Network


@pytest.mark.parametrize("cell", ["vanilla", "ugrnn", "gru", "lstm", "gru_torch"])
@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_batch_equals_the_vmapped_network_and_its_autodiff_gradient(cell, activation):
    net = Network.create(cell, activation, n_inputs=3, n_units=6, n_outputs=2, key=jax.random.key(1))
    rng = np.random.default_rng(0)
    inputs = jnp.asarray(rng.normal(size=(5, 12, 3)), jnp.float32)
    weights = jnp.asarray(rng.normal(size=(5, 12, net.state_size)), jnp.float32)  # h and (LSTM) c parts

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
