"""Import the authors' PyTorch BLT weights (KietzmannLab/BLT-pytorch-CCN23 state dicts).

Parameter names follow that code: ``retina``, ``v1``…``it`` with ``bottom_up`` /
``lateral`` / ``top_down`` convolutions, ``v1_ln``…``it_ln`` and ``gap_ln`` LayerNorms,
``gap.lateral`` and ``readout``. Torch is needed only to read a checkpoint file
(``torch.load(..., weights_only=True)``: no code from the file runs).
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Mapping

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ._blt import BLT, RECURRENT, BLTConfig


def _array(state: Mapping, key: str, shape: tuple[int, ...]) -> jnp.ndarray:
    if key not in state:
        raise KeyError(f"state dict has no {key!r} (needed for this BLTConfig); it has {sorted(state)[:8]}…")
    value = state[key]
    value = value.detach().cpu().numpy() if hasattr(value, "detach") else np.asarray(value)
    value = np.asarray(value, np.float32)
    if value.size != int(np.prod(shape)):
        raise ValueError(f"{key}: expected {shape} values, got shape {value.shape}")
    return jnp.asarray(value.reshape(shape))


def blt_from_state_dict(state: Mapping, config: BLTConfig) -> BLT:
    """A :class:`BLT` with the weights of a reference state dict (tensors or arrays).

    The authors' checkpoints hold v1 lateral and top-down weights that their forward
    pass never uses; unless ``config.v1_recurrent``, they are ignored with a warning.
    """
    net = eqx.filter_eval_shape(BLT, config, key=jax.random.key(0))  # shapes only: every array is replaced
    unused = [f"v1.{kind}.weight" for kind in ("lateral", "top_down")
              if f"v1.{kind}.weight" in state and "v1" not in config.recurrent_layers(kind)]
    if unused:
        warnings.warn(f"{', '.join(unused)} ignored: the authors' forward pass does not use v1's recurrent "
                      "weights (BLTConfig(v1_recurrent=True) uses them)", stacklevel=2)
    where, values = [], []

    def put(get, key):
        leaf = get(net)
        where.append(get)
        values.append(_array(state, key, leaf.shape))

    put(lambda n: n.retina.weight, "retina.weight")
    put(lambda n: n.retina.bias, "retina.bias")
    for name in RECURRENT:
        put(lambda n, name=name: n.bottom_up[name].weight, f"{name}.bottom_up.weight")
        for part in ("weight", "bias"):  # torch's (C, H, W); ours channel-last (H, W, C)
            height, width, channels = getattr(net.norms[name], part).shape
            where.append(lambda n, name=name, part=part: getattr(n.norms[name], part))
            values.append(jnp.transpose(_array(state, f"{name}_ln.{part}", (channels, height, width)), (1, 2, 0)))
        if net.lateral is not None and name in net.lateral:
            put(lambda n, name=name: n.lateral[name].weight, f"{name}.lateral.weight")
        if net.top_down is not None and name in net.top_down:
            # torch stores a transposed convolution as (in, out, kh, kw) applied as a
            # gradient of a convolution; equinox as (out, in, kh, kw) on a dilated input
            torch_weight = _array(state, f"{name}.top_down.weight",
                                  (net.top_down[name].weight.shape[1], net.top_down[name].weight.shape[0],
                                   *net.top_down[name].weight.shape[2:]))
            where.append(lambda n, name=name: n.top_down[name].weight)
            values.append(jnp.flip(jnp.swapaxes(torch_weight, 0, 1), axis=(2, 3)))
    if net.gap_lateral is not None:
        put(lambda n: n.gap_lateral.weight, "gap.lateral.weight")
    put(lambda n: n.gap_norm.weight, "gap_ln.weight")
    put(lambda n: n.gap_norm.bias, "gap_ln.bias")
    put(lambda n: n.readout.weight, "readout.weight")
    if config.readout_bias:
        put(lambda n: n.readout.bias, "readout.bias")
    net = eqx.tree_at(lambda n: [get(n) for get in where], net, values)
    missed = [leaf for leaf in jax.tree_util.tree_leaves(net) if isinstance(leaf, jax.ShapeDtypeStruct)]
    assert not missed, f"BLT arrays without a state-dict entry: {missed}"
    return net


def load_torch_blt(path: str | Path, config: BLTConfig) -> BLT:
    """Read a PyTorch checkpoint (a state dict, or a dict with ``'state_dict'`` /
    ``'model_state_dict'``) safely and import it."""
    import torch

    state = torch.load(Path(path), map_location="cpu", weights_only=True)
    for key in ("state_dict", "model_state_dict"):
        if isinstance(state, dict) and key in state and isinstance(state[key], dict):
            state = state[key]
    state = {k.removeprefix("module."): v for k, v in state.items()}
    return blt_from_state_dict(state, config)
