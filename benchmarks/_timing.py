"""Shared by the single-core training benchmarks: the best wall time of a jitted call."""

from __future__ import annotations

import time


def best_ms(fn, *args, repeats: int = 5, calls: int = 10) -> float:
    """Milliseconds per call of ``fn(*args)``: the best of ``repeats`` runs of ``calls`` calls,
    after one untimed call (compilation)."""
    import jax

    jax.block_until_ready(fn(*args))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            out = fn(*args)
        jax.block_until_ready(out)
        times.append((time.perf_counter() - start) / calls * 1e3)
    return min(times)
