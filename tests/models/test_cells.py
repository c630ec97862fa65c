import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from rnnpop.models import CELLS, Network


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def numpy_step(cell_name, p, x, h, phi):
    """Hand-written reference equations (see each cell's docstring)."""
    wx, wh, b = (np.asarray(p[k], np.float64) for k in ("w_x", "w_h", "b"))
    n = wh.shape[1]
    if cell_name == "vanilla":
        return phi(wh @ h + wx @ x + b)
    if cell_name == "ugrnn":
        pre = wh @ h + wx @ x + b
        c, g = phi(pre[:n]), sigmoid(pre[n:])
        return g * h + (1 - g) * c
    if cell_name == "gru":
        xp = wx @ x + b
        z = sigmoid(wh[:n] @ h + xp[:n])
        r = sigmoid(wh[n:2 * n] @ h + xp[n:2 * n])
        c = phi(wh[2 * n:] @ (r * h) + xp[2 * n:])
        return z * h + (1 - z) * c
    if cell_name == "gru_torch":  # torch.nn.GRU's documented equations
        xp = wx @ x + b
        r = sigmoid(wh[:n] @ h + xp[:n])
        z = sigmoid(wh[n:2 * n] @ h + xp[n:2 * n])
        c = phi(xp[2 * n:] + r * (wh[2 * n:] @ h + np.asarray(p["b_hc"], np.float64)))
        return z * h + (1 - z) * c
    if cell_name == "lstm":
        hh, cc = h[:n], h[n:]
        pre = wh @ hh + wx @ x + b
        i, f, o, u = (pre[k * n:(k + 1) * n] for k in range(4))
        cc = sigmoid(f) * cc + sigmoid(i) * phi(u)
        return np.concatenate([sigmoid(o) * phi(cc), cc])
    raise AssertionError(cell_name)


@pytest.mark.parametrize("activation,phi", [("tanh", np.tanh), ("relu", lambda v: np.maximum(v, 0))])
@pytest.mark.parametrize("cell_name", sorted(CELLS))
def test_cell_matches_numpy_equations(cell_name, activation, phi):
    n, n_in = 7, 3
    cell = CELLS[cell_name](n_in, n, activation, key=jax.random.key(1))
    rng = np.random.default_rng(0)
    b = rng.normal(size=cell.b.shape).astype(np.float32)  # non-zero, so every bias term counts
    cell = eqx.tree_at(lambda m: m.b, cell, jnp.asarray(b))
    params = {"w_x": cell.w_x, "w_h": cell.w_h, "b": b}
    if hasattr(cell, "b_hc"):
        params["b_hc"] = rng.normal(size=cell.b_hc.shape).astype(np.float32)
        cell = eqx.tree_at(lambda m: m.b_hc, cell, jnp.asarray(params["b_hc"]))
    h = rng.normal(size=cell.state_size)
    x = rng.normal(size=n_in)
    expected = numpy_step(cell_name, params, x, h, phi)
    got = cell(jnp.asarray(x, jnp.float32), jnp.asarray(h, jnp.float32))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    assert got.shape == (cell.state_size,)


def test_initialisation_is_documented_orthogonal_and_seeded():
    cell = CELLS["gru"](3, 16, "tanh", key=jax.random.key(0))
    for k in range(3):
        block = np.asarray(cell.w_h[16 * k:16 * (k + 1)])
        np.testing.assert_allclose(block @ block.T, np.eye(16), atol=1e-5)
    lstm = CELLS["lstm"](3, 16, "tanh", key=jax.random.key(0))
    np.testing.assert_array_equal(lstm.b[16:32], 1.0)  # forget gate
    again = CELLS["gru"](3, 16, "tanh", key=jax.random.key(0))
    np.testing.assert_array_equal(cell.w_h, again.w_h)


@pytest.mark.parametrize("cell_name", sorted(CELLS))
def test_network_unroll_equals_stepping_and_readout_reads_h(cell_name):
    net = Network.create(cell_name, "tanh", n_inputs=2, n_units=5, n_outputs=3, key=jax.random.key(2))
    inputs = jax.random.normal(jax.random.key(3), (12, 2))
    states, outputs = net(inputs)
    h = jnp.zeros(net.state_size)
    for t in range(12):
        h = net.step(h, inputs[t])
        np.testing.assert_allclose(states[t], h, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(outputs, states[:, :5] @ net.w_out.T + net.b_out, rtol=1e-5, atol=1e-6)


def test_bad_cell_or_activation_names_allowed_values():
    with pytest.raises(ValueError, match="vanilla"):
        Network.create("rnn", "tanh", n_inputs=1, n_units=2, n_outputs=1, key=jax.random.key(0))
    with pytest.raises(ValueError, match="relu"):
        Network.create("gru", "sigmoid", n_inputs=1, n_units=2, n_outputs=1, key=jax.random.key(0))
