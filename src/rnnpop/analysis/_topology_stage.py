"""Population-level comparisons of the dynamics (Figs. 1f, 2d–f, 3d–f).

Reads each group's fixed points (the dynamics stage) and writes, per task, under
``analysis/topology-<task>/``:

- flip-flop: ``networks.parquet`` (fixed-point and stable counts per network, whether
  it has the modal count) and ``distances.zarr`` with the paper's graph distance
  (Euclidean between readout-ordered transition matrices, modal-count networks only)
  and the matched-graph distance (every network, whatever its count), with MDS maps;
- sine: ``frequencies.parquet``: per network and input frequency, the linear
  frequency of the leading complex pair at the slowest fixed point;
- context: ``integration.parquet``: per network and context, eigenvalues within 0.05
  of 1 and the mode-zeroing curve averaged over the line attractor's points.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from ..dynamics import graph_distance, matched_graph_distance
from ..store import RunStore
from ..store._atomic import CorruptGroupError, atomic_directory, verify
from ._dynamics_stage import load_dynamics
from ._embedding import mds


def _groups(store: RunStore, task: str):
    for plan in store.study.groups():
        if plan.task.name == task:
            points, arrays, transitions = load_dynamics(store, plan.group_id)
            yield plan, points, arrays, transitions


def flipflop_topology(store: RunStore) -> tuple[pd.DataFrame, xr.Dataset]:
    """Per-network counts and the two topology distance matrices with their MDS maps."""
    labels, graphs, nodes = [], [], []
    for plan, points, _, transitions in _groups(store, "flipflop"):
        for network, rows in points.groupby("network"):
            m = len(rows)
            graph = np.zeros((m, m))
            edges = transitions[transitions.network == network]
            graph[edges.source.to_numpy(), edges.target.to_numpy()] = edges.probability.to_numpy()
            graphs.append(graph)
            nodes.append(rows.filter(like="readout_").to_numpy())
            labels.append({"group": plan.group_id, "cell": plan.spec.cell, "activation": plan.spec.activation,
                           "units": plan.spec.n_units, "network_id": int(network), "n_points": m,
                           "n_stable": int(rows.stable.sum())})
    table = pd.DataFrame(labels)
    modal = int(table.n_points.mode().iloc[0]) if len(table) else 0
    table["modal"] = table.n_points == modal
    n = len(graphs)
    matched = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            matched[i, j] = matched[j, i] = matched_graph_distance(graphs[i], nodes[i], graphs[j], nodes[j])
    keep = np.flatnonzero(table.modal)
    paper = np.array([[graph_distance(graphs[i], graphs[j]) for j in keep] for i in keep]).reshape(len(keep), -1)
    data = {"matched": (("network", "network_b"), matched),
            "graph": (("modal_network", "modal_network_b"), paper)}
    attrs = {"modal_count": modal}
    for name, D, dims in (("matched", matched, "network"), ("graph", paper, "modal_network")):
        if len(D) >= 3:
            embedding, stress = mds(D)
            data[f"mds_{name}"] = ((dims, "component"), embedding)
            attrs[f"mds_{name}_stress"] = stress
    coords = {"network": np.arange(n), "network_b": np.arange(n), "modal_network": keep, "modal_network_b": keep}
    return table, xr.Dataset(data, coords=coords, attrs=attrs)


def sine_frequencies(store: RunStore) -> pd.DataFrame:
    rows = []
    for plan, points, _, _ in _groups(store, "sine"):
        frequencies = plan.task.frequencies
        for (network, condition), group in points.groupby(["network", "condition"]):
            slowest = group.sort_values("q").iloc[0]
            rows.append({"group": plan.group_id, "cell": plan.spec.cell, "activation": plan.spec.activation,
                         "network_id": int(network), "input_frequency": float(frequencies[condition]),
                         "linear_frequency": float(slowest.frequency), "n_points": len(group)})
    return pd.DataFrame(rows)


def context_integration(store: RunStore) -> pd.DataFrame:
    rows = []
    for plan, points, arrays, _ in _groups(store, "context"):
        curves = arrays.get("mode_zeroing", np.zeros((0, 1)))
        for (network, condition), group in points.groupby(["network", "condition"]):
            mean_curve = curves[group.index.to_numpy()].mean(axis=0)
            rows.append({"group": plan.group_id, "cell": plan.spec.cell, "activation": plan.spec.activation,
                         "network_id": int(network), "context": int(condition), "n_points": len(group),
                         "mean_near_one": float(group.near_one.mean()),
                         "full_integral": float(mean_curve[-1]),
                         "modes_for_90pct": int(np.argmax(np.abs(mean_curve) >= 0.9 * abs(mean_curve[-1])))})
    return pd.DataFrame(rows)


def analyse_topology(store: RunStore) -> None:
    """Write the per-task comparisons (skipping tasks already done)."""
    for task in store.study.tasks:
        path = store.root / "analysis" / f"topology-{task.name}"
        try:
            verify(path)
            continue
        except CorruptGroupError:
            pass
        with atomic_directory(path, {"task": task.name}) as tmp:
            if task.name == "flipflop":
                table, distances = flipflop_topology(store)
                table.to_parquet(tmp / "networks.parquet", index=False)
                distances.to_zarr(tmp / "distances.zarr", zarr_format=3, consolidated=False)
            elif task.name == "sine":
                sine_frequencies(store).to_parquet(tmp / "frequencies.parquet", index=False)
            elif task.name == "context":
                context_integration(store).to_parquet(tmp / "integration.parquet", index=False)
