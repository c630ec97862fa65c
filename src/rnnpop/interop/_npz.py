"""Networks as ``.npz`` files of named weights (NumPy only; no pickle)."""

from __future__ import annotations

from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from ..models import Network
from ..models._cells import CELLS, cell_name


def to_npz(net: Network, path: str | Path) -> Path:
    """Write ``net``'s weights to ``path``: ``cell/w_x``, ``cell/w_h``, ``cell/b`` (and
    ``cell/b_hc`` for ``gru_torch``), ``w_out``, ``b_out``, with ``cell_name`` and
    ``activation`` as strings; the equations are in each cell's docstring
    (:mod:`rnnpop.models`). Stacked networks keep their leading axis."""
    arrays = {f"cell/{k}": np.asarray(v) for k, v in vars(net.cell).items() if isinstance(v, jax.Array)}
    arrays.update(w_out=np.asarray(net.w_out), b_out=np.asarray(net.b_out),
                  cell_name=np.array(cell_name(net.cell)), activation=np.array(net.cell.activation))
    path = Path(path)
    np.savez(path, **arrays)
    return path if path.suffix == ".npz" else path.with_name(path.name + ".npz")


def from_npz(path: str | Path) -> Network:
    """The network :func:`to_npz` wrote (its shapes and names checked)."""
    with np.load(Path(path), allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    for key in ("cell_name", "activation", "w_out", "b_out", "cell/w_x", "cell/w_h", "cell/b"):
        if key not in arrays:
            raise ValueError(f"{path}: missing key {key!r} (found {sorted(arrays)})")
    name, activation = str(arrays.pop("cell_name")), str(arrays.pop("activation"))
    if name not in CELLS:
        raise ValueError(f"{path}: unknown cell_name {name!r}; allowed: {sorted(CELLS)}")
    w_x, w_h = arrays["cell/w_x"], arrays["cell/w_h"]
    n, n_in = w_h.shape[-1], w_x.shape[-1]
    cell = CELLS[name](n_in, n, activation, key=jax.random.key(0))
    for key, value in arrays.items():
        if key.startswith("cell/"):
            field = key[len("cell/"):]
            expected = np.shape(getattr(cell, field, None))
            if value.shape[-len(expected):] != expected if expected else True:
                raise ValueError(f"{path}: {key} has shape {value.shape}, expected (…, {expected}) for a "
                                 f"{name} of {n} units and {n_in} inputs")
            cell = _set(cell, field, value)
    return Network(cell=cell, w_out=jnp.asarray(arrays["w_out"]), b_out=jnp.asarray(arrays["b_out"]))


def _set(cell, field: str, value: np.ndarray):
    import equinox as eqx

    return eqx.tree_at(lambda c: getattr(c, field), cell, jnp.asarray(value, jnp.float32))
