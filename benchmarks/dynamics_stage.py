"""The dynamics stage (fixed points, linearisations, transitions) on a run store: the point
counts padded to powers of two (rnnpop) against each count compiled as it comes (before).

The number of fixed-point candidates left after the optimisation, and of points kept,
differs from network to network and condition to condition; each new count compiled the
Newton refinement, the speeds and the Jacobians anew. rnnpop pads them to the next power of
two (``rnnpop.dynamics._buckets``), so one program serves a whole bucket.

Each measurement is a fresh process (no compiled program carried over, no persistent
compilation cache) running ``analyse_dynamics`` on its own copy of the store, the two
settings alternating; medians of ``--repeats``. Also printed: whether both found the same
points (count per network and condition, and the largest difference in q and state).

    make demo && python benchmarks/dynamics_stage.py [--store runs/demo] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def one(store: Path, buckets: bool) -> None:
    """Run the stage on ``store`` (in this process) and print its wall time as JSON."""
    if not buckets:
        import rnnpop.dynamics._fixed_points as fixed_points
        import rnnpop.dynamics._linearise as linearise

        fixed_points.on_padded_rows = linearise.on_padded_rows = lambda fn, *arrays: fn(*arrays)
    from rnnpop.analysis import analyse_dynamics
    from rnnpop.store import open_store

    opened = open_store(store)
    start = time.perf_counter()
    analyse_dynamics(opened, opened.study.analysis)
    print(json.dumps({"seconds": time.perf_counter() - start}))


def measure(source: Path, workdir: Path, buckets: bool) -> tuple[float, Path]:
    copy = workdir / ("buckets" if buckets else "each-count")
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(source, copy)
    shutil.rmtree(copy / "analysis" / "dynamics", ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("JAX_COMPILATION_CACHE")}
    done = subprocess.run([sys.executable, __file__, "--one", "on" if buckets else "off", "--store", str(copy)],
                          capture_output=True, text=True, env=env, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])["seconds"], copy


def compare(a: Path, b: Path) -> str:
    import numpy as np
    import pandas as pd
    import zarr

    counts, dq, dstate = [], 0.0, 0.0
    for group in sorted(p.parent.name for p in (a / "analysis" / "dynamics").glob("*/points.parquet")):
        x, y = ((root / "analysis" / "dynamics" / group) for root in (a, b))
        px, py = pd.read_parquet(x / "points.parquet"), pd.read_parquet(y / "points.parquet")
        counts.append(px.groupby(["network", "condition"]).size().equals(py.groupby(["network", "condition"]).size()))
        if len(px) == len(py) and len(px):
            dq = max(dq, float(np.max(np.abs(px.q.to_numpy() - py.q.to_numpy()))))
            sx, sy = (np.asarray(zarr.open_group(str(d / "arrays.zarr"), mode="r")["states"][:]) for d in (x, y))
            dstate = max(dstate, float(np.max(np.abs(sx - sy))))
    return (f"same point counts in {sum(counts)} of {len(counts)} groups; "
            f"largest |Δq| {dq:.1e}, largest |Δstate| {dstate:.1e}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, default=Path("runs/demo"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--one", choices=["on", "off"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        one(args.store, args.one == "on")
        return
    if not (args.store / "groups").is_dir():
        sys.exit(f"--store: {args.store} is not a run store (run `make demo` first, or name one)")
    times: dict[bool, list[float]] = {False: [], True: []}
    with tempfile.TemporaryDirectory() as tmp:
        for repeat in range(args.repeats):
            for buckets in (False, True):
                seconds, copy = measure(args.store, Path(tmp), buckets)
                times[buckets].append(seconds)
                print(f"repeat {repeat + 1}: {'buckets' if buckets else 'each count'} {seconds:.1f} s", flush=True)
        agreement = compare(Path(tmp) / "each-count", Path(tmp) / "buckets")
    before, after = statistics.median(times[False]), statistics.median(times[True])
    print(f"\ndynamics stage on {args.store} (medians of {args.repeats}):")
    print(f"  each count compiled (before): {before:.1f} s")
    print(f"  counts padded to powers of two (rnnpop): {after:.1f} s")
    print(f"  ratio before / rnnpop: {before / after:.2f}x")
    print(f"  {agreement}")


if __name__ == "__main__":
    main()
