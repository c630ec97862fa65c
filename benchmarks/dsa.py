"""DSA at population scale: rnnpop's batched pairs against dsa-metric's per-pair loop.

Networks: random tanh RNNs (gain 1.2) of --units units, --trials × --time probe trajectories
each (the issue's setting: 32 units, 64 trials × 100 steps), delays and rank as rnnpop's
defaults. The baseline is dsa-metric's own DSA (angular score, its default 1,500 iterations
at lr 5e-3) on --baseline-pairs pairs of the same networks, in this invocation; all pairs
at N = --n networks would take that per-pair time × N(N−1)/2. rnnpop computes every pair
of the N networks (HAVOK operators once, pairs batched in one jitted program) and the
printed ratio is the baseline's projected all-pairs time over rnnpop's measured one.

    python benchmarks/dsa.py --n 100 200 400          # the issue's sizes (about 40 min)
    python benchmarks/dsa.py --n 100                  # the goal size (about 3 min)
    python benchmarks/dsa.py --n 20 --baseline-pairs 3   # a quick look

The peak RSS is the process's so far (it never falls): rnnpop's search holds one block of
pairs at a time, so its memory does not grow with N beyond the N × N distance matrix.
"""

from __future__ import annotations

import argparse
import resource
import time
import warnings

import numpy as np


def trajectories(seed: int, units: int, trials: int, steps: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    W = 1.2 * rng.normal(size=(units, units)) / np.sqrt(units)
    h, out = rng.normal(size=(trials, units)), []
    for _ in range(steps):
        h = np.tanh(h @ W.T)
        out.append(h)
    return np.stack(out, 1).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[100])
    parser.add_argument("--units", type=int, default=32)
    parser.add_argument("--trials", type=int, default=64)
    parser.add_argument("--time", type=int, default=100)
    parser.add_argument("--delays", type=int, default=10)
    parser.add_argument("--rank", type=int, default=20)
    parser.add_argument("--baseline-pairs", type=int, default=3)
    args = parser.parse_args()
    from rnnpop.similarity import dsa_distances, havok_operator, operator_distances
    from rnnpop.train import configure_cpu

    configure_cpu()
    warnings.filterwarnings("ignore")
    X = [trajectories(s, args.units, args.trials, args.time) for s in range(max(args.n))]

    import torch
    from DSA import DSA

    pairs = [(0, k + 1) for k in range(args.baseline_pairs)]
    torch.manual_seed(0)
    start = time.perf_counter()
    baseline = [float(np.asarray(DSA(torch.from_numpy(X[a]), torch.from_numpy(X[b]), n_delays=args.delays,
                                     rank=args.rank, score_method="angular").fit_score()))
                for a, b in pairs]
    per_pair = (time.perf_counter() - start) / len(pairs)
    ours = dsa_distances([X[a] for a, _ in pairs[:1]] + [X[b] for _, b in pairs], n_delays=args.delays,
                         rank=args.rank)
    print(f"dsa-metric: {per_pair:.2f} s per pair ({len(pairs)} pairs); its distances {np.round(baseline, 4)}, "
          f"rnnpop's on the same pairs {np.round(ours[0, 1:], 4)}")
    print(f"dsa-metric − rnnpop on these pairs: max {max(np.subtract(baseline, ours[0, 1:])):+.4f} rad, "
          f"mean {np.mean(np.subtract(baseline, ours[0, 1:])):+.4f} (positive: rnnpop found the better alignment)")
    print(f"{'N':>5} {'pairs':>8} {'HAVOK s':>8} {'pairs s':>8} {'ms/pair':>8} {'peak RSS GB':>11} "
          f"{'dsa-metric s (proj.)':>21} {'ratio':>7}")
    for n in args.n:
        start = time.perf_counter()
        operators = [havok_operator(x, n_delays=args.delays, rank=args.rank) for x in X[:n]]
        havok = time.perf_counter() - start
        operator_distances(operators)
        seconds = time.perf_counter() - start
        n_pairs = n * (n - 1) // 2
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        print(f"{n:>5} {n_pairs:>8} {havok:>8.1f} {seconds - havok:>8.1f} {1e3 * (seconds - havok) / n_pairs:>8.2f} "
              f"{rss:>11.2f} {per_pair * n_pairs:>21.0f} {per_pair * n_pairs / seconds:>7.1f}", flush=True)
    full = 2880 * 2879 // 2
    hours = ((seconds - havok) / n_pairs * full + havok / n * 2880) / 3600
    print(f"projection for N = 2,880 ({full:,} pairs) at the largest N's rates (pairs and HAVOK, compilation "
          f"included): {hours:.1f} h on this machine; dsa-metric's loop: {per_pair * full / 86400:.0f} days")


if __name__ == "__main__":
    main()
