"""Training throughput of rnnpop's population trainer vs the usual per-network PyTorch code.

Flip-flop (3 bits), 128 units, batch 64, T = 100, full BPTT, SGD with momentum and
gradient clipping. Prints network-iterations per second (one forward + backward +
update of one network on one batch) for the baseline and for rnnpop at several group
sizes, the ratio, compile time and peak memory. Both run in this one process.

Baseline: ``torch.nn.RNN`` / ``torch.nn.GRU`` + linear readout, one network at a time,
torch's default threads (= the cores). rnnpop: one single-threaded XLA device per core
on a CPU (``configure_cpu``), the group vmapped on an accelerator.

    python benchmarks/train_throughput.py [--sizes 1 8 32 128] [--cells vanilla gru]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time

import numpy as np

UNITS, BATCH, T = 128, 64, 100


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def torch_step(cell: str, batches):
    """A per-network PyTorch training step (the usual user code) and its data."""
    import torch

    torch.manual_seed(0)
    rnn = (torch.nn.RNN(3, UNITS, batch_first=True, nonlinearity="tanh") if cell == "vanilla"
           else torch.nn.GRU(3, UNITS, batch_first=True))
    readout = torch.nn.Linear(UNITS, 3)
    params = list(rnn.parameters()) + list(readout.parameters())
    opt = torch.optim.SGD(params, lr=0.01, momentum=0.9)
    data = [(torch.tensor(b.inputs), torch.tensor(b.targets)) for b in batches]

    def step(i):
        x, y = data[i % len(data)]
        opt.zero_grad()
        h, _ = rnn(x)
        loss = torch.mean((readout(h) - y) ** 2) + 1e-4 * sum((p ** 2).sum() for p in params if p.ndim > 1)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()

    step(0)
    return step


def torch_rate(step, iterations: int = 20) -> float:
    start = time.perf_counter()
    for i in range(iterations):
        step(i)
    return iterations / (time.perf_counter() - start)


def rnnpop_runner(cell: str, n: int, budget: int):
    """A callable timing one group of ``n`` networks, and its compile seconds."""
    from rnnpop.tasks import FlipFlop
    from rnnpop.train import GroupSpec, Hyperparameters, TrainConfig, train_group

    iterations = max(20, budget // n // 10 * 10)
    hp = Hyperparameters(learning_rate=np.full(n, 0.01), decay=np.full(n, 0.5), momentum=np.full(n, 0.9),
                         clip=np.ones(n), l2=np.full(n, 1e-4), seed=np.arange(n))
    config = TrainConfig(n_iterations=iterations, batch_size=BATCH, log_every=iterations, validation_size=BATCH)
    spec = GroupSpec(cell, "tanh", UNITS)

    def rate() -> float:
        start = time.perf_counter()
        train_group(FlipFlop(n_time=T), spec, hp, config)
        return n * iterations / (time.perf_counter() - start)

    first_seconds = n * iterations / rate()  # includes compilation
    steady_seconds = n * iterations / rate()
    return rate, max(0.0, first_seconds - steady_seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 8, 32, 128])
    parser.add_argument("--cells", nargs="+", default=["vanilla", "gru"])
    parser.add_argument("--budget", type=int, default=800, help="network-iterations per timed run")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-baseline", action="store_true", help="skip PyTorch (e.g. on a GPU host)")
    args = parser.parse_args()

    from rnnpop.train import configure_cpu

    configure_cpu()
    import jax

    from rnnpop.tasks import FlipFlop

    batches = [FlipFlop(n_time=T).sample(BATCH, seed=s) for s in range(8)]
    print(f"backend {jax.default_backend()}, devices {len(jax.devices())}; flip-flop, {UNITS} units, "
          f"batch {BATCH}, T={T}; medians of {args.repeats} interleaved repetitions")
    for cell in args.cells:
        step = None if args.no_baseline else torch_step(cell, batches)
        runners = {n: rnnpop_runner(cell, n, args.budget) for n in args.sizes}
        base, ours = [], {n: [] for n in args.sizes}
        for _ in range(args.repeats):  # interleaved, so drifts in machine speed hit both alike
            if step is not None:
                base.append(torch_rate(step))
            for n, (rate, _) in runners.items():
                ours[n].append(rate())
        b = statistics.median(base) if base else None
        if b is not None:
            print(f"{cell:8s} baseline torch nn.{'RNN' if cell == 'vanilla' else 'GRU'}, one network: "
                  f"{b:7.1f} network-it/s  (runs: {', '.join(f'{x:.0f}' for x in base)})")
        for n, (_, compile_s) in runners.items():
            r = statistics.median(ours[n])
            ratio = f"  ratio {r / b:5.2f}x" if b else ""
            print(f"{cell:8s} rnnpop group of {n:5d}: {r:8.1f} network-it/s{ratio}  "
                  f"compile {compile_s:5.1f} s  peak RSS {peak_rss_mb():7.0f} MB", flush=True)


if __name__ == "__main__":
    main()
