"""Issue 25: the trainer's recurrence three ways, interleaved in one process: autodiff
through the scan, the hand-written passes written in JAX, and the native kernels
(``rnnpop.models._recurrence``; ``rnnpop/_kernels/recurrence.cc``).

Flip-flop, batch 64, T = 100, a group of --size networks on the CPU layout (one
single-threaded device per core); network-iterations per second, medians of --repeats
alternating runs. The baseline is rnnpop's own earlier code path: ``_recurrence.unroll``
replaced by one returning ``None`` (every cell then takes autodiff); "jax" is the same code
with the native kernels switched off (``_native.used_for`` false), so the vanilla and LSTM
cells take their JAX passes and the UGRNN and GRU autodiff.

    python benchmarks/train_backward.py [--cells vanilla ugrnn gru lstm] [--units 128] [--size 8]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import time
from unittest import mock

import numpy as np

BATCH, T = 64, 100


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", nargs="+", default=["vanilla", "ugrnn", "gru", "lstm"])
    parser.add_argument("--units", type=int, nargs="+", default=[128])
    parser.add_argument("--size", type=int, default=8)
    parser.add_argument("--iterations", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from rnnpop.train import configure_cpu

    configure_cpu()
    from rnnpop import _native
    from rnnpop.models import _recurrence
    from rnnpop.tasks import FlipFlop
    from rnnpop.train import GroupSpec, Hyperparameters, TrainConfig, train_group
    from rnnpop.train._population import _programs

    n = args.size
    hp = Hyperparameters(learning_rate=np.full(n, 0.01), decay=np.full(n, 0.5), momentum=np.full(n, 0.9),
                         clip=np.ones(n), l2=np.full(n, 1e-4), seed=np.arange(n))
    config = TrainConfig(n_iterations=args.iterations, batch_size=BATCH, log_every=args.iterations,
                         validation_size=BATCH)

    paths = {"autodiff": lambda: mock.patch.object(_recurrence, "unroll", lambda net, inputs, matmul="float32": None),
             "jax": lambda: mock.patch.object(_native, "used_for", lambda *arrays: False),
             "native": contextlib.nullcontext}

    def rate(spec, path: str) -> float:
        _programs.cache_clear()
        with paths[path]():
            train_group(FlipFlop(n_time=T), spec, hp, config)  # compile
            start = time.perf_counter()
            train_group(FlipFlop(n_time=T), spec, hp, config)
            return n * args.iterations / (time.perf_counter() - start)

    print(f"flip-flop, batch {BATCH}, T={T}, group of {n}, {args.iterations} iterations; network-it/s, "
          f"medians of {args.repeats} alternating runs")
    for cell in args.cells:
        for units in args.units:
            spec = GroupSpec(cell, "tanh", units)
            runs = {path: [] for path in paths}
            for _ in range(args.repeats):
                for path, found in runs.items():
                    found.append(rate(spec, path))
            m = {path: statistics.median(found) for path, found in runs.items()}
            print(f"{cell:>8s} {units:4d}: " + "  ".join(
                f"{path} {m[path]:6.1f} (runs {', '.join(f'{x:.0f}' for x in found)})" for path, found in runs.items())
                + f"  native/autodiff {m['native'] / m['autodiff']:5.2f}x  native/jax {m['native'] / m['jax']:5.2f}x",
                flush=True)


if __name__ == "__main__":
    main()
