"""Calls on batches of points whose number varies: padded to a power of two, so that one
compiled program serves every count of a bucket (the number of fixed-point candidates
differs from network to network; without buckets each count compiles anew)."""

from __future__ import annotations

import jax
import numpy as np


def on_padded_rows(fn, *arrays):
    """``fn(*arrays)`` with every array's leading axis (M, shared) padded to the next power
    of two by repeating its last row; the outputs (one array or a tuple) cut back to M rows.
    ``fn`` must treat rows independently (a vmapped function)."""
    m = len(arrays[0])
    size = 1 << max(m - 1, 0).bit_length()
    if m == 0 or size == m:
        return fn(*arrays)
    padded = [np.concatenate([np.asarray(a), np.repeat(np.asarray(a)[-1:], size - m, axis=0)]) for a in arrays]
    return jax.tree_util.tree_map(lambda out: out[:m], fn(*padded))
