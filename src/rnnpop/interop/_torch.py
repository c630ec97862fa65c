"""PyTorch ``nn.RNN`` (tanh, relu), ``nn.GRU`` and ``nn.LSTM`` ⇄ rnnpop networks computing
the same step.

Mappings (PyTorch → rnnpop; one layer, unidirectional):

- ``nn.RNN``: ``vanilla``; ``w_x = W_ih``, ``w_h = W_hh``, ``b = b_ih + b_hh``.
- ``nn.GRU``: ``gru_torch`` (PyTorch applies the reset gate after the recurrent matrix,
  so it is its own cell, not Cho et al.'s ``gru``); blocks (r, z, n) kept in order,
  ``b = b_ih + [b_hr, b_hz, 0]``, ``b_hc = b_hn``.
- ``nn.LSTM``: ``lstm``; PyTorch's gate blocks (i, f, g, o) become rnnpop's (i, f, o, u),
  ``b = b_ih + b_hh``; the state rnnpop sees is ``[h; c]``.
- the readout: an ``nn.Linear`` (its ``weight`` and ``bias``) the user names; without one,
  the identity (outputs = h).

torch is an optional dependency (``pip install -e ".[torch]"``); files are read with
``torch.load(..., weights_only=True)``.
"""

from __future__ import annotations

from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from ..models import Network
from ..models._cells import CELLS, cell_name

_LSTM_ORDER = np.array([0, 1, 3, 2])  # rnnpop block k is PyTorch block _LSTM_ORDER[k]: i, f, o ← g
_SUFFIXES = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")


class WeightsError(ValueError):
    """Weights that cannot become an rnnpop network; the message names the key or shape."""


def _blocks(array: np.ndarray, n: int) -> list[np.ndarray]:
    return [array[k * n:(k + 1) * n] for k in range(len(array) // n)]


def _module_state(module) -> tuple[dict[str, np.ndarray], str | None]:
    """A module's RNN weights and its kind ('rnn_tanh', 'rnn_relu', 'gru', 'lstm')."""
    import torch.nn as nn

    kinds = {nn.RNN: None, nn.GRU: "gru", nn.LSTM: "lstm"}
    kind = next((k for t, k in kinds.items() if type(module) is t), "unsupported")
    if kind == "unsupported":
        raise WeightsError(f"unsupported module {type(module).__name__}; rnnpop imports torch.nn.RNN, "
                           "torch.nn.GRU and torch.nn.LSTM (or their state dicts)")
    if module.num_layers != 1 or module.bidirectional:
        raise WeightsError(f"{type(module).__name__} with num_layers={module.num_layers}, "
                           f"bidirectional={module.bidirectional}: rnnpop imports one unidirectional layer "
                           "(one recurrent state whose dynamics the analyses study)")
    if kind == "lstm" and module.proj_size:
        raise WeightsError(f"LSTM with proj_size={module.proj_size}: rnnpop imports LSTMs without projections")
    if kind is None:
        kind = "rnn_" + module.nonlinearity
    state = {k: v.detach().cpu().numpy() for k, v in module.state_dict().items()}
    return state, kind


def _rnn_keys(state: dict, prefix: str) -> dict[str, np.ndarray]:
    missing = [prefix + s for s in _SUFFIXES[:2] if prefix + s not in state]
    if missing:
        found = sorted(k for k in state if k.endswith("_l0"))
        raise WeightsError(f"missing key(s) {missing} in the state dict (recurrent keys found: {found}); "
                           "name the module's prefix with rnn_prefix=")
    extra = [k for k in state if k.startswith(prefix) and k.endswith(("_l1", "_reverse"))]
    if extra:
        raise WeightsError(f"state dict has {extra[0]}: rnnpop imports one unidirectional layer")
    return {s: np.asarray(state[prefix + s], np.float32) for s in _SUFFIXES if prefix + s in state}


def from_torch(rnn, readout=None, *, activation: str | None = None, rnn_prefix: str = "",
               readout_prefix: str | None = None) -> Network:
    """An rnnpop :class:`~rnnpop.models.Network` that computes exactly what ``rnn`` does.

    ``rnn`` is an ``nn.RNN``/``nn.GRU``/``nn.LSTM`` module or a state dict (tensors or
    arrays; keys ``<rnn_prefix>weight_ih_l0`` …). A state dict does not say an
    ``nn.RNN``'s nonlinearity: give ``activation`` ('tanh' or 'relu'). ``readout`` is an
    ``nn.Linear`` or a state dict with ``weight``/``bias`` (or, with ``readout_prefix``,
    the keys ``<readout_prefix>weight`` … of ``rnn``'s state dict); ``None``: outputs = h.
    """
    if isinstance(rnn, dict):
        state = {k: (v.detach().cpu().numpy() if hasattr(v, "detach") else np.asarray(v)) for k, v in rnn.items()}
        kind = None
    else:
        state, kind = _module_state(rnn)
        rnn_prefix = ""
    weights = _rnn_keys(state, rnn_prefix)
    w_ih, w_hh = weights["weight_ih_l0"], weights["weight_hh_l0"]
    n = w_hh.shape[1]
    if w_hh.shape[0] % n or w_ih.shape[0] != w_hh.shape[0]:
        raise WeightsError(f"weight_hh_l0 {w_hh.shape} and weight_ih_l0 {w_ih.shape} do not describe one "
                           "RNN, GRU or LSTM layer (expected (k·n, n) and (k·n, inputs), k = 1, 3 or 4)")
    blocks = w_hh.shape[0] // n
    if kind is None:
        if blocks == 1:
            if activation not in ("tanh", "relu"):
                raise WeightsError("a state dict of torch.nn.RNN does not record its nonlinearity: "
                                   "give activation='tanh' or 'relu'")
            kind = "rnn_" + activation
        else:
            kind = {3: "gru", 4: "lstm"}.get(blocks)
            if kind is None:
                raise WeightsError(f"weight_hh_l0 has {blocks} blocks of {n}: not an RNN (1), GRU (3) or LSTM (4)")
    b_ih = weights.get("bias_ih_l0", np.zeros(blocks * n, np.float32))
    b_hh = weights.get("bias_hh_l0", np.zeros(blocks * n, np.float32))
    for name, b in (("bias_ih_l0", b_ih), ("bias_hh_l0", b_hh)):
        if b.shape != (blocks * n,):
            raise WeightsError(f"{rnn_prefix}{name} has shape {b.shape}, expected ({blocks * n},)")
    name, act = {"rnn_tanh": ("vanilla", "tanh"), "rnn_relu": ("vanilla", "relu"),
                      "gru": ("gru_torch", "tanh"), "lstm": ("lstm", "tanh")}[kind]
    if kind == "lstm":
        order = _LSTM_ORDER
        w_x = np.concatenate([_blocks(w_ih, n)[k] for k in order])
        w_h = np.concatenate([_blocks(w_hh, n)[k] for k in order])
        b = np.concatenate([_blocks(b_ih + b_hh, n)[k] for k in order])
    elif kind == "gru":
        w_x, w_h = w_ih, w_hh
        b = np.concatenate([b_ih[:2 * n] + b_hh[:2 * n], b_ih[2 * n:]])
    else:
        w_x, w_h, b = w_ih, w_hh, b_ih + b_hh
    w_out, b_out = _readout(readout, state, readout_prefix, n)
    cell = CELLS[name](w_x.shape[1], n, act, key=jax.random.key(0))
    cell = _replace(cell, w_x=w_x, w_h=w_h, b=b, **({"b_hc": b_hh[2 * n:]} if kind == "gru" else {}))
    return Network(cell=cell, w_out=jnp.asarray(w_out), b_out=jnp.asarray(b_out))


def _readout(readout, state: dict, prefix: str | None, n: int) -> tuple[np.ndarray, np.ndarray]:
    if readout is None and prefix is None:
        return np.eye(n, dtype=np.float32), np.zeros(n, np.float32)
    if readout is None:
        source, where = {k[len(prefix):]: v for k, v in state.items() if k.startswith(prefix)}, prefix
    elif isinstance(readout, dict):
        source, where = readout, "readout."
    else:
        if type(readout).__name__ != "Linear":
            raise WeightsError(f"readout must be a torch.nn.Linear or its state dict, got {type(readout).__name__}")
        source, where = readout.state_dict(), "readout."
    source = {k: (v.detach().cpu().numpy() if hasattr(v, "detach") else np.asarray(v)) for k, v in source.items()}
    if "weight" not in source:
        raise WeightsError(f"missing key {where}weight for the readout (found: {sorted(source)})")
    weight = np.asarray(source["weight"], np.float32)
    if weight.ndim != 2 or weight.shape[1] != n:
        raise WeightsError(f"{where}weight has shape {weight.shape}, expected (outputs, {n}) for {n} hidden units")
    bias = np.asarray(source.get("bias", np.zeros(weight.shape[0])), np.float32)
    if bias.shape != weight.shape[:1]:
        raise WeightsError(f"{where}bias has shape {bias.shape}, expected ({weight.shape[0]},)")
    return weight, bias


def _replace(cell, **arrays):
    import equinox as eqx

    names = list(arrays)
    return eqx.tree_at(lambda c: [getattr(c, k) for k in names], cell,
                       [jnp.asarray(np.asarray(arrays[k], np.float32)) for k in names])


def load_torch(path: str | Path, **options) -> Network:
    """:func:`from_torch` on a file saved with ``torch.save(module.state_dict(), path)``
    (read with ``weights_only=True``: tensors only, nothing executed)."""
    import torch

    state = torch.load(Path(path), map_location="cpu", weights_only=True)
    if not isinstance(state, dict):
        raise WeightsError(f"{path} does not hold a state dict (found {type(state).__name__})")
    if "rnn_prefix" not in options:
        prefixes = sorted({k[: -len("weight_ih_l0")] for k in state if k.endswith("weight_ih_l0")})
        if len(prefixes) != 1:
            raise WeightsError(f"{path}: {len(prefixes)} recurrent layers ({prefixes}); name one with rnn_prefix=")
        options["rnn_prefix"] = prefixes[0]
    return from_torch(state, **options)


def to_torch(net: Network):
    """The PyTorch twin of ``net`` (one unbatched network): an ``nn.Module`` with ``.rnn``
    (``nn.RNN``, ``nn.GRU`` or ``nn.LSTM``, ``batch_first=True``) and ``.readout``
    (``nn.Linear``) whose ``forward(x)`` returns ``(hidden states, outputs)``. rnnpop's
    ``gru`` (Cho et al.) and ``ugrnn`` have no PyTorch cell: export them with
    :func:`rnnpop.interop.to_npz`."""
    import torch
    import torch.nn as nn

    cell = net.cell
    name = cell_name(cell)
    n, n_in = cell.n_units, cell.w_x.shape[1]
    w_x, w_h, b = (np.asarray(a, np.float32) for a in (cell.w_x, cell.w_h, cell.b))
    if w_x.ndim != 2:
        raise ValueError(f"to_torch takes one network; got stacked weights {w_x.shape} (index one first)")
    if name == "vanilla":
        rnn = nn.RNN(n_in, n, nonlinearity=cell.activation, batch_first=True)
        params = {"weight_ih_l0": w_x, "weight_hh_l0": w_h, "bias_ih_l0": b, "bias_hh_l0": np.zeros_like(b)}
    elif name == "lstm" and cell.activation == "tanh":
        inverse = np.argsort(_LSTM_ORDER)
        rnn = nn.LSTM(n_in, n, batch_first=True)
        params = {"weight_ih_l0": np.concatenate([_blocks(w_x, n)[k] for k in inverse]),
                  "weight_hh_l0": np.concatenate([_blocks(w_h, n)[k] for k in inverse]),
                  "bias_ih_l0": np.concatenate([_blocks(b, n)[k] for k in inverse]), "bias_hh_l0": np.zeros_like(b)}
    elif name == "gru_torch" and cell.activation == "tanh":
        rnn = nn.GRU(n_in, n, batch_first=True)
        b_hh = np.concatenate([np.zeros(2 * n, np.float32), np.asarray(cell.b_hc, np.float32)])
        params = {"weight_ih_l0": w_x, "weight_hh_l0": w_h, "bias_ih_l0": b, "bias_hh_l0": b_hh}
    else:
        raise ValueError(f"PyTorch has no cell that computes rnnpop's {name!r} with {cell.activation}; "
                         "export it with rnnpop.interop.to_npz")
    rnn.load_state_dict({k: torch.tensor(np.array(v, np.float32)) for k, v in params.items()})
    readout = nn.Linear(n, net.w_out.shape[0])
    readout.load_state_dict({"weight": torch.tensor(np.array(net.w_out, np.float32)),
                             "bias": torch.tensor(np.array(net.b_out, np.float32))})
    return _TorchNetwork(rnn, readout)


def _TorchNetwork(rnn, readout):
    import torch.nn as nn

    class TorchNetwork(nn.Module):
        """An exported rnnpop network: ``forward(x (batch, time, inputs))`` →
        ``(hidden (batch, time, units), outputs (batch, time, outputs))``."""

        def __init__(self):
            super().__init__()
            self.rnn, self.readout = rnn, readout

        def forward(self, x):
            hidden, _ = self.rnn(x)
            return hidden, self.readout(hidden)

    return TorchNetwork()
