"""Spreading a group's networks over the local devices.

On a CPU the measured fast layout is one single-threaded executor per core
(``../shared/PERF-NOTES.md``): XLA's own intra-op threading gains little at these
matrix sizes. :func:`configure_cpu` gives JAX one host device per core, each
single-threaded, and the trainer shards a group's networks over them. On an
accelerator the group is vmapped on one device.
"""

from __future__ import annotations

import functools
import os
import warnings

import jax
from jax.sharding import Mesh, NamedSharding, PartitionSpec


def configure_cpu(n_devices: int | None = None) -> bool:
    """Ask JAX for ``n_devices`` single-threaded host devices (default: the core count).

    Takes effect only before JAX creates its backends (before any computation), as XLA
    reads these settings once; called later it changes nothing, warns, and returns False.
    """
    n = n_devices or len(os.sched_getaffinity(0))
    try:
        jax.config.update("jax_num_cpu_devices", n)
    except RuntimeError:
        warnings.warn("JAX is already initialised; keeping its devices (call configure_cpu first)",
                      stacklevel=2)
        return False
    os.environ["XLA_FLAGS"] = single_thread_flags(os.environ.get("XLA_FLAGS", ""))
    return True


def single_thread_flags(flags: str) -> str:
    """``XLA_FLAGS`` with single-threaded XLA:CPU added (unless already set either way)."""
    if "xla_cpu_multi_thread_eigen" in flags:
        return flags
    return f"{flags} --xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1".strip()


def network_mesh() -> Mesh:
    """A 1-D mesh, axis ``"network"``, over the devices of the default backend."""
    return _mesh(jax.default_backend())


@functools.lru_cache(maxsize=None)
def _mesh(backend: str) -> Mesh:
    return Mesh(jax.devices(backend), ("network",))


def place(tree, mesh: Mesh):
    """Put every leaf's leading (network) axis across the mesh."""
    return jax.device_put(tree, NamedSharding(mesh, PartitionSpec("network")))


def shard_networks(fn=None, *, mesh: Mesh):
    """Jit ``fn`` so that each device runs it on its own slice of the networks.

    Every array argument and result carries the networks on its leading axis; other
    arguments (Python or 0-d values) are replicated.
    """
    if fn is None:
        return functools.partial(shard_networks, mesh=mesh)

    def specs(tree):
        return jax.tree_util.tree_map(
            lambda x: PartitionSpec("network") if getattr(x, "ndim", 0) > 0 else PartitionSpec(), tree)

    @jax.jit
    def wrapped(*args):
        return jax.shard_map(fn, mesh=mesh, in_specs=specs(args), out_specs=PartitionSpec("network"),
                             check_vma=False)(*args)

    return wrapped
