"""Stacked networks to and from safetensors (flat arrays only: loading runs no code)."""

from __future__ import annotations

from pathlib import Path

import equinox as eqx
import jax
import numpy as np
from safetensors.numpy import load_file, save_file

from ..models import Network


def flatten(network: Network, prefix: str) -> dict[str, np.ndarray]:
    """``{prefix + keypath: array}`` for every array leaf of ``network``."""
    params = eqx.partition(network, eqx.is_array)[0]
    leaves = jax.tree_util.tree_leaves_with_path(params)
    return {prefix + jax.tree_util.keystr(path): np.array(leaf, order="C") for path, leaf in leaves}  # keeps 0-d


def _is_leaf_array(x) -> bool:
    return eqx.is_array(x) or isinstance(x, jax.ShapeDtypeStruct)


def unflatten(skeleton: Network, arrays: dict[str, np.ndarray], prefix: str) -> Network:
    """Fill ``skeleton``'s array leaves (arrays or shape structs) from :func:`flatten`'s output."""
    params, static = eqx.partition(skeleton, _is_leaf_array)
    paths, treedef = jax.tree_util.tree_flatten_with_path(params)
    leaves = []
    for path, leaf in paths:
        key = prefix + jax.tree_util.keystr(path)
        if key not in arrays:
            raise KeyError(f"weights file has no array {key!r}")
        if arrays[key].shape != leaf.shape:
            raise ValueError(f"weights file array {key!r} has shape {arrays[key].shape}, expected {leaf.shape}")
        leaves.append(arrays[key])
    return eqx.combine(jax.tree_util.tree_unflatten(treedef, leaves), static)


def save_networks(path: Path, networks: dict[str, Network], metadata: dict[str, str]) -> None:
    """Write several stacked networks (e.g. trained and initial) into one file."""
    tensors = {}
    for name, network in networks.items():
        tensors.update(flatten(network, f"{name}/"))
    save_file(tensors, str(path), metadata=metadata)


def load_networks(path: Path, skeleton: Network, name: str) -> Network:
    """Read the stacked network ``name`` from ``path``, shaped like ``skeleton``."""
    return unflatten(skeleton, load_file(str(path)), f"{name}/")
