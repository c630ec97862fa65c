"""Fixed-point finding: rnnpop.dynamics.find_fixed_points vs FixedPointFinder's algorithm.

A 128-unit GRU trained here on the 3-bit flip-flop (rnnpop's trainer, fixed seed);
1,024 initial states sampled from its own trajectories plus noise.

Baseline (same run): FixedPointFinder's published algorithm (Golub & Sussillo 2018)
re-implemented in PyTorch (torch==2.13.0): all initial states optimised together on
mean q with Adam (lr 1.0, eps 0.01), the learning rate ×0.95 after 2 iterations
without improvement, stopping at mean q < 1e-12 or after 5,000 iterations; points
made unique within 1e-3; a Jacobian per point by autograd. Same GRU equations, same
weights (copied from the JAX network).

    python benchmarks/fixed_points.py [--iterations 3000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def train_network(iterations: int):
    from rnnpop.tasks import FlipFlop
    from rnnpop.train import GroupSpec, Hyperparameters, TrainConfig, train_group

    hp = Hyperparameters(learning_rate=[0.05], decay=[0.5], momentum=[0.9], clip=[1.0], l2=[1e-5], seed=[0])
    config = TrainConfig(n_iterations=iterations, log_every=iterations // 10, validation_size=256)
    task = FlipFlop()
    result = train_group(task, GroupSpec("gru", "tanh", 128), hp, config)
    import jax

    return task, jax.tree_util.tree_map(lambda x: x[0], result.networks), float(result.validation_loss[0])


def torch_fixed_point_finder(net, starts: np.ndarray, x: np.ndarray):
    import torch

    n = net.cell.n_units
    w_x, w_h, b = (torch.tensor(np.asarray(a)) for a in (net.cell.w_x, net.cell.w_h, net.cell.b))
    x = torch.tensor(x, dtype=torch.float32)

    def step(h):  # the GRU of rnnpop.models.GRU, batched over rows of h
        xp = x @ w_x.T + b
        zr = h @ w_h[: 2 * n].T
        z = torch.sigmoid(zr[:, :n] + xp[:n])
        r = torch.sigmoid(zr[:, n:] + xp[n: 2 * n])
        c = torch.tanh((r * h) @ w_h[2 * n:].T + xp[2 * n:])
        return z * h + (1 - z) * c

    h = torch.tensor(starts, dtype=torch.float32, requires_grad=True)
    opt = torch.optim.Adam([h], lr=1.0, eps=0.01)
    schedule = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.95, patience=2)
    for iteration in range(5000):
        opt.zero_grad()
        q = 0.5 * ((step(h) - h) ** 2).sum(dim=1)
        loss = q.mean()
        if loss.item() < 1e-12:
            break
        loss.backward()
        opt.step()
        schedule.step(loss.item())
    with torch.no_grad():
        q = (0.5 * ((step(h) - h) ** 2).sum(dim=1)).numpy()
        points = h.detach().numpy()
    kept = []
    for i in np.argsort(q):
        if all(np.linalg.norm(points[i] - points[j]) > 1e-3 for j in kept):
            kept.append(i)
    jac = [torch.autograd.functional.jacobian(lambda v: step(v[None])[0], torch.tensor(points[i])) for i in kept]
    return points[kept], q[kept], len(jac), iteration + 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iterations", type=int, default=3000, help="training iterations for the GRU")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()

    from rnnpop.train import configure_cpu

    configure_cpu()
    from rnnpop.analysis import initial_states, probe_inputs, representations
    from rnnpop.dynamics import find_fixed_points

    task, net, loss = train_network(args.iterations)
    import jax

    trajectories = representations(jax.tree_util.tree_map(lambda a: a[None], net), probe_inputs(task, 2000))[0]
    starts = initial_states(trajectories, 1024, noise=0.1, seed=0)
    x = np.zeros(3, np.float32)
    print(f"GRU-128 on the 3-bit flip-flop, validation MSE {loss:.4f}; 1,024 initial states")

    find_fixed_points(net.step, starts, x)  # compile
    ours, base = [], []
    for _ in range(args.repeats):
        start = time.perf_counter()
        fps = find_fixed_points(net.step, starts, x)
        ours.append(time.perf_counter() - start)
        start = time.perf_counter()
        points, q, _, iterations = torch_fixed_point_finder(net, starts, x)
        base.append(time.perf_counter() - start)
    converged = q <= 1e-6
    print(f"baseline (FixedPointFinder algorithm, PyTorch): {min(base):6.1f} s per network, {iterations} iterations,"
          f" {len(points)} unique points, {converged.sum()} with q <= 1e-6 (max q among them "
          f"{q[converged].max() if converged.any() else float('nan'):.2e})")
    print(f"rnnpop find_fixed_points:                       {min(ours):6.1f} s per network, {len(fps)} fixed points "
          f"(q <= 1e-10; max q {fps.q.max():.2e}; {int(fps.is_stable.sum())} stable)")
    print(f"ratio (baseline / rnnpop): {min(base) / min(ours):.1f}x")


if __name__ == "__main__":
    main()
