"""Training throughput of rnnpop's population trainer vs the usual per-network PyTorch code.

Flip-flop (3 bits), 128 units (``--units 64 128 256`` for the paper's widths), batch 64,
T = 100, full BPTT, SGD with momentum and gradient clipping. Prints network-iterations per
second (one forward + backward + update of one network on one batch) for the baseline and for
rnnpop at several group sizes, the ratio, compile time and peak memory, and on a CPU the share
of the fp32 ceiling (every core at the rate of a single-threaded 1024² sgemm, measured in the
same run; an iteration's work counted as its 3 × T recurrent products) that rnnpop reached and
that 3× the baseline would need. Both run in this one process.

Baseline: ``torch.nn.RNN`` / ``GRU`` / ``LSTM`` (a time loop of ``nn.Linear`` for the UGRNN,
which PyTorch lacks) + linear readout, one network at a time,
torch's default threads (= the cores). rnnpop: one single-threaded XLA device per core
on a CPU (``configure_cpu``), the group vmapped on an accelerator.

All four cells at the defaults (a group of 8) take about 2 minutes on this 2-core machine with
the native recurrence kernels (1 m 41 s, 2026-12-03; 12.8 minutes with groups of 8 and 32
before them); with ``--matmuls float32 bfloat16`` about 3.5 minutes at 128 units, 1 at 64 and
6.5 at 256.

    python benchmarks/train_throughput.py [--sizes 8 32 128] [--cells vanilla ugrnn gru lstm]
        [--units 64 128 256] [--matmuls float32 bfloat16]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time

import numpy as np

BATCH, T = 64, 100


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def torch_step(cell: str, batches, units: int):
    """A per-network PyTorch training step (the usual user code) and its data: ``nn.RNN``,
    ``nn.GRU``, ``nn.LSTM``; PyTorch has no UGRNN, so for it the usual code for a custom cell,
    a loop over time of one stacked ``nn.Linear`` (the same gates as rnnpop's)."""
    import torch

    torch.manual_seed(0)
    modules = {"vanilla": lambda: torch.nn.RNN(3, units, batch_first=True, nonlinearity="tanh"),
               "gru": lambda: torch.nn.GRU(3, units, batch_first=True),
               "lstm": lambda: torch.nn.LSTM(3, units, batch_first=True),
               "ugrnn": lambda: _TorchUGRNN(3, units)}
    rnn = modules[cell]()
    readout = torch.nn.Linear(units, 3)
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


class _TorchUGRNN:
    """``h' = g ⊙ h + (1 − g) ⊙ tanh(c)``, ``[c; g] = W [x; h] + b`` (Collins et al. 2017)."""

    def __init__(self, n_in: int, n: int):
        import torch

        self.linear = torch.nn.Linear(n_in + n, 2 * n)
        self.n = n

    def parameters(self):
        return self.linear.parameters()

    def __call__(self, x):
        import torch

        h, states = x.new_zeros(x.shape[0], self.n), []
        for t in range(x.shape[1]):
            c, g = self.linear(torch.cat([x[:, t], h], dim=1)).chunk(2, dim=1)
            g = torch.sigmoid(g)
            h = g * h + (1 - g) * torch.tanh(c)
            states.append(h)
        return torch.stack(states, dim=1), h


def torch_rate(step, iterations: int = 20) -> float:
    start = time.perf_counter()
    for i in range(iterations):
        step(i)
    return iterations / (time.perf_counter() - start)


BLOCKS = {"vanilla": 1, "ugrnn": 2, "gru": 3, "lstm": 4}


def iteration_gflop(cell: str, units: int) -> float:
    """The recurrent products of one network-iteration: forward, input gradient and weight
    gradient, 3 × T products of ``(B, n) × (n, blocks·n)``."""
    return 3 * T * 2 * BATCH * units * BLOCKS[cell] * units / 1e9


def sgemm_gflops(size: int = 1024) -> float:
    """One core's fp32 matrix-product rate: PyTorch's single-threaded ``size²`` sgemm, best of 10."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    a = torch.rand(size, size)
    best = float("inf")
    for _ in range(10):
        start = time.perf_counter()
        a @ a
        best = min(best, time.perf_counter() - start)
    torch.set_num_threads(threads)
    return 2 * size**3 / best / 1e9


def _iterations(n: int, budget: int) -> int:
    return max(20, budget // n // 10 * 10)


def rnnpop_runner(cell: str, n: int, budget: int, units: int, matmul: str = "float32"):
    """A callable timing one group of ``n`` networks, and its compile seconds."""
    from rnnpop.tasks import FlipFlop
    from rnnpop.train import GroupSpec, Hyperparameters, TrainConfig, train_group

    iterations = _iterations(n, budget)
    hp = Hyperparameters(learning_rate=np.full(n, 0.01), decay=np.full(n, 0.5), momentum=np.full(n, 0.9),
                         clip=np.ones(n), l2=np.full(n, 1e-4), seed=np.arange(n))
    config = TrainConfig(n_iterations=iterations, batch_size=BATCH, log_every=iterations, validation_size=BATCH,
                         matmul=matmul)
    spec = GroupSpec(cell, "tanh", units)

    def rate() -> float:
        start = time.perf_counter()
        train_group(FlipFlop(n_time=T), spec, hp, config)
        return n * iterations / (time.perf_counter() - start)

    first_seconds = n * iterations / rate()  # includes compilation (minus a timed run's: printed below)
    return rate, first_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[8])
    parser.add_argument("--cells", nargs="+", default=["vanilla", "ugrnn", "gru", "lstm"])
    parser.add_argument("--units", type=int, nargs="+", default=[128])
    parser.add_argument("--budget", type=int, default=320, help="network-iterations per timed run")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-baseline", action="store_true", help="skip PyTorch (e.g. on a GPU host)")
    parser.add_argument("--matmuls", nargs="+", default=["float32"], choices=["float32", "bfloat16"],
                        help="rnnpop's TrainConfig.matmul, each timed in the same interleaved repetitions")
    args = parser.parse_args()

    from rnnpop.train import configure_cpu

    configure_cpu()
    import jax

    from rnnpop.tasks import FlipFlop

    batches = [FlipFlop(n_time=T).sample(BATCH, seed=s) for s in range(8)]
    print(f"backend {jax.default_backend()}, devices {len(jax.devices())}; flip-flop, batch {BATCH}, T={T}; "
          f"medians of {args.repeats} interleaved repetitions")
    cores = len(jax.devices()) if jax.default_backend() == "cpu" and not args.no_baseline else 0
    ceiling = cores * sgemm_gflops() if cores else None  # fp32 GFLOP/s of all cores at the sgemm rate
    for units in args.units:
        for cell in args.cells:
            ceiling = run_cell(cell, units, args, batches, ceiling, cores)


def run_cell(cell: str, units: int, args, batches, ceiling: float | None, cores: int) -> float | None:
    """Time the baseline and every (group size, matmul) of one cell and width, interleaved, and
    print; returns the fp32 ceiling, the highest sgemm rate measured so far (once per repetition,
    as a drift of the machine's speed can hold one measurement down)."""
    step = None if args.no_baseline else torch_step(cell, batches, units)
    runners = {(n, m): rnnpop_runner(cell, n, args.budget, units, m) for n in args.sizes for m in args.matmuls}
    base, ours = [], {key: [] for key in runners}
    for _ in range(args.repeats):  # interleaved, so drifts in machine speed hit both alike
        if ceiling:
            ceiling = max(ceiling, cores * sgemm_gflops())
        if step is not None:
            base.append(torch_rate(step))
        for key, (rate, _) in runners.items():
            ours[key].append(rate())
    b = statistics.median(base) if base else None
    name = f"{cell}-{units}"
    if ceiling:
        print(f"{name:12s} fp32 ceiling: {cores} cores × {ceiling / cores:.1f} GFLOP/s (1024² sgemm, one thread, "
              f"the best in this run so far)")
    if b is not None:
        torch_name = {"vanilla": "nn.RNN", "gru": "nn.GRU", "lstm": "nn.LSTM", "ugrnn": "nn.Linear loop"}[cell]
        needed = f"; 3x needs {100 * 3 * b * iteration_gflop(cell, units) / ceiling:3.0f}% of the fp32 ceiling" if ceiling else ""
        print(f"{name:12s} baseline torch {torch_name}, one network: "
              f"{b:7.1f} network-it/s  (runs: {', '.join(f'{x:.0f}' for x in base)}){needed}")
    for (n, matmul), (_, first_seconds) in runners.items():
        r = statistics.median(ours[n, matmul])
        compile_s = max(0.0, first_seconds - n * _iterations(n, args.budget) / r)
        ratio = f"  ratio {r / b:5.2f}x" if b else ""
        if ceiling:
            ratio += f"  {100 * r * iteration_gflop(cell, units) / ceiling:3.0f}% of the fp32 ceiling"
        label = "" if matmul == "float32" else ", bf16"
        print(f"{name:12s} rnnpop group of {n:5d}{label}: {r:8.1f} network-it/s{ratio}  "
              f"(runs: {', '.join(f'{x:.0f}' for x in ours[n, matmul])})  "
              f"compile {compile_s:5.1f} s  peak RSS {peak_rss_mb():7.0f} MB", flush=True)
    return ceiling


if __name__ == "__main__":
    main()
