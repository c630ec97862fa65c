"""Scale-out: a study of many small groups in-process vs. on a 2-worker Dask LocalCluster.

Each side runs from a fresh process state (a subprocess for the in-process runs, a
fresh LocalCluster for Dask), training only (no analyses), into its own store; wall
times include JAX start-up and compilation. Baselines, same invocation:

- in-process, as `rnnpop run` runs by default: one process, one single-threaded XLA
  device per core, each group's networks sharded over them;
- in-process with XLA's default threading (one device using both cores: the plain
  single-process layout the Dask workers are measured against).

Also prints the Dask scheduling overhead per task (round trip of no-op tasks). The default
is the issue's study of many small groups at the paper's 20,000 iterations per network (~17
minutes on 2 cores); fewer iterations show the regime where per-group compilation, on one
core in a worker, dominates.

    python benchmarks/scale_out.py [--groups 8] [--iterations 20000] [--units 16] [--seeds 1] [--time 50] [--batch 64]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def study(n_groups: int, iterations: int, units: int, seeds: int, n_time: int, batch: int = 64) -> dict:
    cells = ["vanilla", "ugrnn", "gru", "lstm"]
    activations = ["tanh", "relu"]
    units = [units + 8 * k for k in range(max(1, n_groups // 8))]
    return {
        "name": "scale-out", "seed": 0,
        "grid": {"tasks": ["flipflop"], "cells": cells, "activations": activations, "units": units, "l2": [1e-4]},
        "search": {"n_search": 1, "n_seeds": seeds},
        "train": {"n_iterations": iterations, "log_every": math.gcd(iterations, 100), "batch_size": batch,
                  "validation_size": 64},
        "tasks": {"flipflop": {"n_time": n_time}},
        "analysis": {"dynamics": False},
    }


IN_PROCESS = """
import json, sys, time
from rnnpop.train import configure_cpu
if int(sys.argv[3]):
    configure_cpu(int(sys.argv[3]))
from rnnpop.studies import run_study
from rnnpop.studyfile import parse_study
start = time.perf_counter()
run_study(parse_study(json.loads(sys.argv[1])), sys.argv[2])
print(time.perf_counter() - start)
"""


def in_process(spec: dict, root: Path, devices: int) -> float:
    """Wall time of a fresh process running the study; ``devices`` single-threaded XLA
    devices, or 0 for XLA's default (one device, XLA's own intra-op threads)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", IN_PROCESS, json.dumps(spec), str(root), str(devices)], check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def on_dask(spec: dict, root: Path, workers: int) -> tuple[float, float]:
    from rnnpop.execute import execute_study, open_client
    from rnnpop.studyfile import parse_study

    start = time.perf_counter()
    with open_client(workers=workers) as client:
        execute_study(parse_study(spec), root, client, analyse=False)
        wall = time.perf_counter() - start
        n = 200
        client.gather(client.map(abs, range(-5, 0)))  # warm
        t = time.perf_counter()
        client.gather(client.map(abs, range(n)))
        serial_round_trip = []
        for k in range(20):
            s = time.perf_counter()
            client.submit(abs, -k, pure=False).result()
            serial_round_trip.append(time.perf_counter() - s)
        overhead = (time.perf_counter() - t - sum(serial_round_trip)) / n
    return wall, overhead, sorted(serial_round_trip)[len(serial_round_trip) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--groups", type=int, default=8, help="groups (multiples of 8)")
    parser.add_argument("--iterations", type=int, default=20000)
    parser.add_argument("--units", type=int, default=16, help="units of the first 8 groups (+8 per further 8)")
    parser.add_argument("--seeds", type=int, default=1, help="seed networks per group (plus 1 search draw)")
    parser.add_argument("--time", type=int, default=50, help="flip-flop trial length")
    parser.add_argument("--batch", type=int, default=64, help="training batch (rnnpop's default: 64)")
    parser.add_argument("--workers", type=int, default=len(os.sched_getaffinity(0)))
    args = parser.parse_args()
    spec = study(args.groups, args.iterations, args.units, args.seeds, args.time, args.batch)
    work = Path(tempfile.mkdtemp(prefix="rnnpop-scale-"))
    try:
        xla = in_process(spec, work / "xla", 0)
        default = in_process(spec, work / "default", args.workers)
        dask, per_task, round_trip = on_dask(spec, work / "dask", args.workers)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    n = len(spec["grid"]["cells"]) * len(spec["grid"]["activations"]) * len(spec["grid"]["units"])
    print(f"{n} groups × {1 + args.seeds} networks ({spec['grid']['units']} units), flip-flop T = {args.time}, "
          f"batch {args.batch}, {args.iterations} iterations; {args.workers} cores")
    print(f"in-process, XLA's default threading (one device):     {xla:7.1f} s")
    print(f"in-process, {args.workers} single-threaded sharded devices (rnnpop default): {default:7.1f} s")
    print(f"Dask LocalCluster, {args.workers} single-threaded workers:         {dask:7.1f} s")
    print(f"speed-up of Dask vs. in-process XLA default: {xla / dask:.2f}x; vs. rnnpop's in-process default: "
          f"{default / dask:.2f}x; rnnpop's in-process default vs. XLA default: {xla / default:.2f}x")
    print(f"Dask scheduling overhead: {per_task * 1e3:.1f} ms per task in a batch of 200, "
          f"{round_trip * 1e3:.1f} ms for one submit-and-wait round trip")


if __name__ == "__main__":
    main()
