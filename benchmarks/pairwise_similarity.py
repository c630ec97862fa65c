"""All-pairs SVCCA and CKA distances: rnnpop.similarity.pairwise vs the per-pair loop.

N synthetic networks × 1,000 samples × 128 units, each a random linear embedding of a
shared 10-dimensional latent trajectory plus unit noise (trained RNNs are similarly
low-dimensional: 95 % of the variance lies in ~10 components).

Baseline (same run): the per-pair loop most libraries use: for every pair, centre
both matrices, take both SVDs, then CCA (SVCCA), or form XᵀY, XᵀX and YᵀY (CKA).
Its cost per pair is constant, so it is timed on ``--baseline-pairs`` random pairs and
scaled to all N(N−1)/2 pairs. rnnpop is timed on the whole matrix, best of two runs
(the first pays one-off allocation; the baseline's pairs are likewise timed warm).

    python benchmarks/pairwise_similarity.py [--sizes 100 500] [--full 2880]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

N_SAMPLES, UNITS, LATENT = 1000, 128, 10


def population(n: int, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    latent = np.cumsum(rng.normal(size=(N_SAMPLES, LATENT)), axis=0) / 10
    return [np.tanh(latent @ rng.normal(size=(LATENT, UNITS)) / 2 + 0.1 * rng.normal(size=(N_SAMPLES, UNITS)))
            .astype(np.float32) for _ in range(n)]


def svcca_per_pair(X, Y, variance=0.95):
    def reduce(A):
        A = A - A.mean(0)
        U, s, _ = np.linalg.svd(A, full_matrices=False)
        k = int(np.searchsorted(np.cumsum(s**2) / np.sum(s**2), variance) + 1)
        return U[:, :k]

    Ux, Uy = reduce(X), reduce(Y)
    return 1 - np.mean(np.linalg.svd(Ux.T @ Uy, compute_uv=False)[: min(Ux.shape[1], Uy.shape[1])])


def cka_per_pair(X, Y):
    X, Y = X - X.mean(0), Y - Y.mean(0)
    return 1 - np.linalg.norm(Y.T @ X) ** 2 / (np.linalg.norm(X.T @ X) * np.linalg.norm(Y.T @ Y))


def baseline_seconds(reps, fn, n_pairs, seed=0):
    rng = np.random.default_rng(seed)
    pairs = [tuple(rng.choice(len(reps), 2, replace=False)) for _ in range(n_pairs)]
    start = time.perf_counter()
    for i, j in pairs:
        fn(reps[i], reps[j])
    per_pair = (time.perf_counter() - start) / n_pairs
    n = len(reps)
    return per_pair * n * (n - 1) / 2


def _timed(fn, *args, **kwargs) -> float:
    start = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 500])
    parser.add_argument("--baseline-pairs", type=int, default=100)
    parser.add_argument("--full", type=int, default=0, help="also time rnnpop alone at this N (e.g. 2880)")
    args = parser.parse_args()

    from rnnpop.similarity import pairwise

    print(f"N networks x {N_SAMPLES} samples x {UNITS} units; seconds for the full N x N matrix")
    for n in args.sizes:
        reps = population(n)
        for metric, fn in (("svcca", svcca_per_pair), ("cka", cka_per_pair)):
            base = baseline_seconds(reps, fn, args.baseline_pairs)
            ours = min(_timed(pairwise, reps, metric=metric) for _ in range(2))
            print(f"N={n:5d} {metric:6s} per-pair loop {base:9.1f} s (from {args.baseline_pairs} pairs)  "
                  f"rnnpop {ours:8.1f} s  ratio {base / ours:7.1f}x  "
                  f"-> N=2880 extrapolated: rnnpop {ours * (2880 / n) ** 2:7.0f} s, "
                  f"loop {base * (2880 / n) ** 2 / 3600:6.1f} h", flush=True)
    if args.full:
        reps = population(args.full)
        for metric in ("svcca", "cka"):
            start = time.perf_counter()
            pairwise(reps, metric=metric)
            print(f"N={args.full} {metric}: rnnpop measured {time.perf_counter() - start:.0f} s", flush=True)


if __name__ == "__main__":
    main()
