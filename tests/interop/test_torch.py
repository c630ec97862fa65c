"""PyTorch networks imported into rnnpop compute the same trajectories, to float32 precision."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from rnnpop.interop import from_npz, from_torch, load_torch, to_npz, to_torch  # noqa: E402
from rnnpop.interop._torch import WeightsError  # noqa: E402
from rnnpop.models import Network  # noqa: E402

N_IN, N, N_OUT, T = 3, 16, 2, 40


def torch_module(kind: str):
    torch.manual_seed(0)
    if kind in ("tanh", "relu"):
        return nn.RNN(N_IN, N, nonlinearity=kind, batch_first=True)
    return {"gru": nn.GRU, "lstm": nn.LSTM}[kind](N_IN, N, batch_first=True)


def torch_hidden(module, x: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        out, _ = module(torch.from_numpy(x))
    return out.numpy()


def rnnpop_hidden(net: Network, x: np.ndarray) -> np.ndarray:
    states = jax.vmap(lambda xs: net(jnp.asarray(xs))[0])(x)
    return np.asarray(states)[..., : net.cell.n_units]


@pytest.mark.parametrize("kind", ["tanh", "relu", "gru", "lstm"])
def test_imported_cell_gives_the_same_hidden_trajectories(kind):
    module = torch_module(kind)
    readout = nn.Linear(N, N_OUT)
    x = np.random.default_rng(1).normal(size=(5, T, N_IN)).astype(np.float32)
    net = from_torch(module, readout)
    assert type(net.cell).__name__ == {"tanh": "Vanilla", "relu": "Vanilla", "gru": "TorchGRU", "lstm": "LSTM"}[kind]
    expected = torch_hidden(module, x)
    np.testing.assert_allclose(rnnpop_hidden(net, x), expected, rtol=1e-5, atol=2e-6)
    outputs = np.asarray(jax.vmap(lambda xs: net(jnp.asarray(xs))[1])(x))
    with torch.no_grad():
        np.testing.assert_allclose(outputs, readout(torch.from_numpy(expected)).numpy(), rtol=1e-5, atol=2e-6)


@pytest.mark.parametrize("kind", ["tanh", "gru", "lstm"])
def test_round_trip_rnnpop_torch_rnnpop_and_npz(kind, tmp_path):
    net = from_torch(torch_module(kind), nn.Linear(N, N_OUT))
    back = from_torch(*_parts(to_torch(net)))
    for a, b in zip(jax.tree_util.tree_leaves(net), jax.tree_util.tree_leaves(back)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6, atol=1e-7)
    again = from_npz(to_npz(net, tmp_path / "net.npz"))
    assert type(again.cell) is type(net.cell) and again.cell.activation == net.cell.activation
    for a, b in zip(jax.tree_util.tree_leaves(net), jax.tree_util.tree_leaves(again)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def _parts(module):
    return module.rnn, module.readout


def test_imported_network_has_its_twins_fixed_points():
    from rnnpop.dynamics import find_fixed_points

    module = torch_module("gru")
    net = from_torch(module)
    twin = from_torch(to_torch(net).rnn)  # through PyTorch and back
    starts = np.random.default_rng(2).normal(size=(128, N))
    a = find_fixed_points(net.step, starts, np.zeros(N_IN))
    b = find_fixed_points(twin.step, starts, np.zeros(N_IN))
    assert len(a) == len(b) >= 1
    np.testing.assert_allclose(np.sort(a.states[:, 0]), np.sort(b.states[:, 0]), atol=1e-5)


def test_state_dict_file_with_prefixes(tmp_path):
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.LSTM(N_IN, N, batch_first=True)
            self.head = nn.Linear(N, N_OUT)

    model = Model()
    torch.save(model.state_dict(), tmp_path / "m.pt")
    net = load_torch(tmp_path / "m.pt", readout_prefix="head.")
    x = np.random.default_rng(3).normal(size=(2, T, N_IN)).astype(np.float32)
    np.testing.assert_allclose(rnnpop_hidden(net, x), torch_hidden(model.encoder, x), rtol=1e-5, atol=2e-6)


def test_bad_weights_are_refused_naming_the_key_or_shape():
    with pytest.raises(WeightsError, match="num_layers=2"):
        from_torch(nn.GRU(N_IN, N, num_layers=2))
    with pytest.raises(WeightsError, match="bidirectional=True"):
        from_torch(nn.LSTM(N_IN, N, bidirectional=True))
    with pytest.raises(WeightsError, match="unsupported module Linear"):
        from_torch(nn.Linear(3, 3))
    state = nn.GRU(N_IN, N).state_dict()
    with pytest.raises(WeightsError, match="missing key.*weight_ih_l0"):
        from_torch({k: v for k, v in state.items() if k != "weight_ih_l0"})
    with pytest.raises(WeightsError, match="nonlinearity"):
        from_torch(nn.RNN(N_IN, N).state_dict())
    with pytest.raises(WeightsError, match=r"readout.weight has shape \(2, 5\)"):
        from_torch(nn.GRU(N_IN, N), nn.Linear(5, 2))
    with pytest.raises(ValueError, match="PyTorch has no cell.*'gru'"):
        to_torch(Network.create("gru", "tanh", n_inputs=3, n_units=4, n_outputs=1, key=jax.random.key(0)))
