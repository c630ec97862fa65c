"""What a study will cost before it starts: units, networks, network-iterations, time.

The time is a model, not a promise: per group, the floating-point work of training
(forward and backward through time: 6 flops per multiply-add of the cell's affine maps,
per trial step and batch element) over this machine's measured rate for matrix products
of that group's shape, plus the elementwise work of the gates, plus a fixed cost per
group (compilation, validation, writing); the three constants were fitted to measured
runs and the model is checked in the test suite against a live run it was not fitted to.
The GPU figure is a projection from the H100 throughput in docs/performance.md.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import time

import pandas as pd

EFFICIENCY = 0.78
"""Training's matrix products run at this multiple of NumPy's rate for the same shapes
(the native recurrence kernels: every product of a step and its gate work; fitted, with
the constant below, to four measured runs on the 2-core CPU, pairs of 16-network groups at
32, 64, 96 and 128 units; ``benchmarks/cost_model.py --fitted`` reruns them and checks the
model on runs it was not fitted to)."""

ELEMENT_CORE_SECONDS = 6.3e-10
"""Core-seconds per element of the gates (batch × time × blocks × units) per network
iteration beyond the products: what XLA does around the kernels (readout, loss, optimiser)."""

UNIT_OVERHEAD_S = 2.0
"""Seconds per trained unit beyond its arithmetic: compilations, validation, writing (set from
the compile times `benchmarks/train_throughput.py` prints, 0.5–3 s per group shape; the fitted
runs all had two units, so they cannot separate it from the rest)."""

GPU_FLOPS = 15_600 * 6 * 64 * 100 * 128 * 131
"""Effective training flop rate of one H100: 15.6k vanilla-128 network-it/s (docs/performance.md)."""

GPU_UNIT_OVERHEAD_S = 20.0


@dataclasses.dataclass(frozen=True)
class Cost:
    """A study's size per task and configuration (``table``), its total flops, and the
    effective CPU training rate it implies (flop/s, all cores)."""

    table: pd.DataFrame
    flops: float
    n_units: int
    cpu_rate: float | None

    def seconds(self, device: str = "cpu") -> float | None:
        """Estimated wall time on ``device`` ('cpu' here, 'gpu': one H100), ``None`` when
        rnnpop has no model for the study kind."""
        if self.cpu_rate is None:
            return None
        if device == "gpu":
            return self.flops / GPU_FLOPS + self.n_units * GPU_UNIT_OVERHEAD_S
        return self.flops / self.cpu_rate + self.n_units * UNIT_OVERHEAD_S

    def describe(self, device: str = "cpu") -> str:
        total = self.table["network-iterations"].sum() if "network-iterations" in self.table else 0
        seconds = self.seconds(device)
        where = (f"this CPU ({os.cpu_count()} cores, training at {self.cpu_rate / 1e9:.0f} GFLOP/s effective)"
                 if device == "cpu" else "one H100 (projected from docs/performance.md)")
        if seconds is None:
            return f"{self.n_units} unit(s); no time model for this study kind"
        return (f"{self.n_units} unit(s), {self.table['networks'].sum():,} networks, {total:,} network-iterations: "
                f"about {duration(seconds)} on {where}")


def duration(seconds: float) -> str:
    for limit, scale, unit in ((90, 1, "s"), (5400, 60, "min"), (2 * 86400, 3600, "h")):
        if seconds < limit:
            return f"{seconds / scale:.0f} {unit}" if unit != "h" else f"{seconds / scale:.1f} h"
    return f"{seconds / 86400:.1f} days"


def estimate(study) -> Cost:
    """The cost of running ``study`` from an empty store."""
    if study.kind == "imported":
        rows = [{"group": p.group_id, "networks": p.n_networks} for p in study.groups()]
        return Cost(pd.DataFrame(rows).assign(**{"network-iterations": 0}), 0.0, 0, 0.0)
    if study.kind != "universality":
        rows = [{"network": u.unit_id, "epochs": study.train.epochs} for u in study.units_of_work()]
        return Cost(pd.DataFrame(rows).assign(networks=1), 0.0, len(rows), None)
    from ..models import CELLS

    rows, flops, cpu_seconds = [], 0.0, 0.0
    per_group = study.networks_per_group
    for plan in study.groups():
        n, task, blocks = plan.spec.n_units, plan.task, CELLS[plan.spec.cell].n_blocks
        per_iteration = (6 * study.train.batch_size * task.n_time * blocks * n * (n + task.n_inputs + 1)
                         + 6 * study.train.batch_size * task.n_time * n * task.n_outputs)
        iterations = per_group * study.train.n_iterations
        flops += per_iteration * iterations
        elements = study.train.batch_size * task.n_time * blocks * n * iterations
        cpu_seconds += (per_iteration * iterations / (EFFICIENCY * gemm_rate(n, blocks))
                        + elements * ELEMENT_CORE_SECONDS / (os.cpu_count() or 1))
        rows.append({"task": task.name, "cell": plan.spec.cell, "activation": plan.spec.activation, "units": n,
                     "networks": per_group, "network-iterations": iterations})
    table = (pd.DataFrame(rows).groupby(["task", "cell", "activation", "units"], sort=False, as_index=False)
             .sum(numeric_only=True))
    table[["networks", "network-iterations"]] = table[["networks", "network-iterations"]].astype(int)
    return Cost(table, flops, len(rows), flops / cpu_seconds)


@functools.lru_cache(maxsize=32)
def gemm_rate(n_units: int, n_blocks: int, seconds: float = 0.1) -> float:
    """This machine's flop rate (all cores) for one training step's recurrent product at
    this shape (64 × n @ n × n_blocks·n, float32), measured for ``seconds`` on one core:
    small products run far below the machine's peak, and training is made of them."""
    import numpy as np

    rng = np.random.default_rng(0)
    a = rng.standard_normal((64, n_units), np.float32)
    b = rng.standard_normal((n_units, n_blocks * n_units), np.float32)
    a @ b
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(50):
            a @ b
        count += 50
    per_core = count * 2 * 64 * n_units * n_blocks * n_units / (time.perf_counter() - start)
    return per_core * (os.cpu_count() or 1)
