"""Recall of the dynamics stage's fixed-point search against a much larger search.

For every analysed network of the chosen groups of a run store (by default the
flip-flop groups of ``runs/demo``), the stage's search (``--starts`` states from the
network's probe trajectories plus ``--noise`` × the units' spread, as
``rnnpop.analysis.group_fixed_points`` does) is compared with a reference search of
``--reference`` starts drawn the same way at three noise levels (0.1, 0.5, 1.0).
Recall is the share of the reference's exact fixed points (q <= 1e-10) that the
stage's search also finds (within the uniqueness tolerance); per network, the counts
(exact, stable) of both.

    python benchmarks/fixed_point_recall.py [--store runs/demo] [--task flipflop]
        [--starts 128 256] [--noise 0.1 0.5] [--reference 4096]
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import numpy as np


def matched(found: np.ndarray, reference: np.ndarray, tolerance: float) -> int:
    """How many ``reference (M, n)`` points have a ``found`` point within ``tolerance``."""
    if len(found) == 0 or len(reference) == 0:
        return 0
    distance = np.linalg.norm(reference[:, None] - found[None], axis=-1)
    return int(np.sum(distance.min(axis=1) <= tolerance))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", default="runs/demo")
    parser.add_argument("--task", default="flipflop")
    parser.add_argument("--starts", type=int, nargs="+", default=[128, 256])
    parser.add_argument("--noise", type=float, nargs="+", default=[0.1, 0.5])
    parser.add_argument("--reference", type=int, default=4096)
    args = parser.parse_args()

    import jax

    import rnnpop
    from rnnpop.analysis import group_states
    from rnnpop.analysis._dynamics_stage import group_fixed_points

    store = rnnpop.load(args.store)
    settings = store.study.analysis
    plans = [p for p in store.study.groups() if p.task.name == args.task]
    candidates = [(n, noise) for n in args.starts for noise in args.noise]
    totals = {c: [0, 0] for c in candidates}
    for plan in plans:
        states = group_states(store, plan.group_id, settings)
        index = states.network.values
        if len(index) == 0:
            continue
        nets = jax.tree_util.tree_map(lambda x: x[index], store.networks(plan.group_id))
        trajectories = states["trained"].values
        seeds = settings.seed + index.astype(int)
        start = time.perf_counter()
        reference = [[] for _ in index]
        for k, noise in enumerate((0.1, 0.5, 1.0)):
            big = dataclasses.replace(settings, n_initial_states=args.reference // 3, initial_noise=noise,
                                      slow_fraction=0.0)
            for i, per_condition in enumerate(group_fixed_points(nets, plan.task, trajectories, big, seeds + 7919 * k)):
                reference[i].append(np.concatenate([p.states for p in per_condition]))
        reference_seconds = time.perf_counter() - start
        merged = []
        for parts, trajectory in zip(reference, trajectories):
            points = np.concatenate(parts)
            tolerance = 1e-3 * np.max(np.linalg.norm(trajectory.reshape(-1, points.shape[1]) -
                                                     trajectory.reshape(-1, points.shape[1]).mean(0), axis=1))
            keep: list[int] = []
            for j, p in enumerate(points):  # unique across the three noise levels
                if all(np.linalg.norm(p - points[i]) > tolerance for i in keep):
                    keep.append(j)
            merged.append((points[keep], tolerance))
        line = [f"{plan.group_id}: reference {[len(m) for m, _ in merged]} points ({reference_seconds:.0f} s)"]
        for n, noise in candidates:
            trial = dataclasses.replace(settings, n_initial_states=n, initial_noise=noise, slow_fraction=0.0)
            start = time.perf_counter()
            found = group_fixed_points(nets, plan.task, trajectories, trial, seeds)
            seconds = time.perf_counter() - start
            hits = [matched(np.concatenate([p.states for p in f]), m, tol) for f, (m, tol) in zip(found, merged)]
            totals[(n, noise)][0] += sum(hits)
            totals[(n, noise)][1] += sum(len(m) for m, _ in merged)
            line.append(f"  {n} starts, noise {noise}: found {hits} ({seconds:.1f} s)")
        print("\n".join(line), flush=True)
    for (n, noise), (hit, total) in totals.items():
        print(f"recall with {n} starts, noise {noise}: {hit}/{total} = {hit / max(total, 1):.1%} "
              f"of the {args.reference}-start reference's exact points")


if __name__ == "__main__":
    main()
