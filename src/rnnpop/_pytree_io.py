"""Any equinox module's arrays as a flat ``{key path: array}`` dict and back: the one
naming of weights in safetensors files, shared by the run store and vision checkpoints."""

from __future__ import annotations

import equinox as eqx
import jax
import numpy as np

def flatten(network, prefix: str) -> dict[str, np.ndarray]:
    """``{prefix + keypath: array}`` for every array leaf of ``network``."""
    params = eqx.partition(network, eqx.is_array)[0]
    leaves = jax.tree_util.tree_leaves_with_path(params)
    return {prefix + jax.tree_util.keystr(path): np.array(leaf, order="C") for path, leaf in leaves}  # keeps 0-d


def _is_leaf_array(x) -> bool:
    return eqx.is_array(x) or isinstance(x, jax.ShapeDtypeStruct)


def unflatten(skeleton, arrays: dict[str, np.ndarray], prefix: str):
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
