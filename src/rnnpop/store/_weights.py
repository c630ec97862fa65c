"""Stacked networks to and from safetensors (flat arrays only: loading runs no code)."""

from __future__ import annotations

from pathlib import Path

from safetensors.numpy import load_file, save_file

from .._pytree_io import flatten, unflatten
from ..models import Network


def save_networks(path: Path, networks: dict[str, Network], metadata: dict[str, str]) -> None:
    """Write several stacked networks (e.g. trained and initial) into one file."""
    tensors = {}
    for name, network in networks.items():
        tensors.update(flatten(network, f"{name}/"))
    save_file(tensors, str(path), metadata=metadata)


def load_networks(path: Path, skeleton: Network, name: str) -> Network:
    """Read the stacked network ``name`` from ``path``, shaped like ``skeleton``."""
    return unflatten(skeleton, load_file(str(path)), f"{name}/")
