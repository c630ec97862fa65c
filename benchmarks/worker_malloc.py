"""Training speed of one single-threaded worker with glibc's default allocation thresholds
vs. with ``MALLOC_TRIM_THRESHOLD_=65536``, the value Dask's nannies give their workers
unless told otherwise (rnnpop's clusters leave it unset: ``rnnpop.execute._cluster.WORKER_CONFIG``).

Each repetition trains the same group (2 networks × 100 iterations) four times in a fresh
subprocess pinned to one core with single-threaded XLA, alternating the two settings, and
keeps the fastest of the last three (after compilation). Prints the median over repetitions
for both and the ratio.

    python benchmarks/worker_malloc.py [--cell lstm] [--units 128] [--batch 32] [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys

CHILD = r"""
import os, sys, time
os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
from rnnpop.train import configure_cpu
configure_cpu(1)
from rnnpop.tasks import FlipFlop
from rnnpop.train import GroupSpec, Hyperparameters, TrainConfig, train_group

cell, units, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
config = TrainConfig(n_iterations=100, log_every=100, batch_size=batch, validation_size=64)
hp = Hyperparameters(learning_rate=[0.01] * 2, decay=[0.5] * 2, momentum=[0.9] * 2, clip=[1.0] * 2,
                     l2=[1e-4] * 2, seed=[0, 1])
times = []
for _ in range(4):  # the first includes compilation
    start = time.perf_counter()
    train_group(FlipFlop(n_time=100), GroupSpec(cell, "tanh", units), hp, config)
    times.append(time.perf_counter() - start)
print(min(times[1:]))
"""


def run(args, trim: str | None) -> float:
    env = {k: v for k, v in os.environ.items() if k != "MALLOC_TRIM_THRESHOLD_"}
    if trim is not None:
        env["MALLOC_TRIM_THRESHOLD_"] = trim
    out = subprocess.run([sys.executable, "-c", CHILD, args.cell, str(args.units), str(args.batch)], env=env,
                         check=True, capture_output=True, text=True).stdout
    return float(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cell", default="lstm")
    parser.add_argument("--units", type=int, default=128)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    default, trimmed = [], []
    for _ in range(args.repeats):
        default.append(run(args, None))
        trimmed.append(run(args, "65536"))
    a, b = statistics.median(default), statistics.median(trimmed)
    print(f"{args.cell}-{args.units}, batch {args.batch}, 2 networks × 100 iterations, one pinned single-threaded process")
    print(f"glibc defaults (rnnpop's workers):       {a:6.2f} s (runs {', '.join(f'{v:.2f}' for v in default)})")
    print(f"MALLOC_TRIM_THRESHOLD_=65536 (Dask's):   {b:6.2f} s (runs {', '.join(f'{v:.2f}' for v in trimmed)})")
    print(f"speed-up from leaving it unset: {b / a:.2f}x")


if __name__ == "__main__":
    main()
