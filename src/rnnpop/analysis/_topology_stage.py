"""Population-level comparisons of the dynamics (Figs. 1f, 2d–f, 3d–f).

Reads each group's fixed points (the dynamics stage) and writes, per task, under
``analysis/topology-<task>/``:

- every task: ``networks.parquet`` (one row per compared item, its fixed-point count
  and whether that is the modal count) and ``distances.zarr`` with the paper's graph
  distance (Euclidean between readout-ordered graph matrices, modal-count items only)
  and the matched-graph distance (every item, whatever its count), with MDS maps. The
  graphs: flip-flop transition graphs; sine and context nearest-neighbour graphs of
  the input-dependent fixed points and of each context's line attractor;
- the task's own table ``per_task.parquet`` (:class:`TaskAnalyses`), sine: per network and input frequency, the linear
  frequency of the leading complex pair at the slowest fixed point;
- context: per network and context, eigenvalues within 0.05
  of 1 and the mode-zeroing curve averaged over the line attractor's points.
"""

from __future__ import annotations

import dataclasses
import numpy as np
import pandas as pd
import xarray as xr

from ..dynamics import graph_distance, matched_graph_distance, nearest_neighbour_graph, snap
from ..store import RunStore
from ..store._atomic import atomic_directory, is_complete, verify
from ._dynamics_stage import load_dynamics
from ._embedding import mds
from ._stage import network_label
from ._task_analyses import task_analyses

LABELS = ["group", "cell", "activation", "units", "network_id"]
PER_TASK = "per_task.parquet"  # the task's own table (TaskAnalyses.per_task)


def _groups(store: RunStore, task: str):
    for plan in store.study.groups():
        if plan.task.name == task:
            found = load_dynamics(store, plan.group_id)
            yield plan, found.points, found.arrays, found.transitions, found.attractors


def topology_distances(labels: pd.DataFrame, graphs: list[np.ndarray],
                       nodes: list[np.ndarray]) -> tuple[pd.DataFrame, xr.Dataset]:
    """The two topology distance matrices of a set of graphs, with MDS maps.

    ``graph``: the paper's Euclidean distance between equally ordered graph matrices,
    over the items whose node count is the modal one (the others are set aside and
    flagged ``modal = False``); ``matched``: :func:`matched_graph_distance` over every
    item, whatever its count, nodes described by ``nodes`` (e.g. readouts).
    """
    table = labels.copy()
    table["n_points"] = [len(g) for g in graphs]
    modal = int(table.n_points.mode().iloc[0]) if len(table) else 0
    table["modal"] = table.n_points == modal
    n = len(graphs)
    matched = np.zeros((n, n))
    for i in range(n):
        for j in range(i + 1, n):
            matched[i, j] = matched[j, i] = matched_graph_distance(graphs[i], nodes[i], graphs[j], nodes[j])
    keep = np.flatnonzero(table.modal)
    paper = np.array([[graph_distance(graphs[i], graphs[j]) for j in keep] for i in keep]).reshape(len(keep), len(keep))
    data = {"matched": (("item", "item_b"), matched), "graph": (("modal_item", "modal_item_b"), paper)}
    attrs = {"modal_count": modal}
    for name, D, dim in (("matched", matched, "item"), ("graph", paper, "modal_item")):
        if len(D) >= 3:
            embedding, stress = mds(D)
            data[f"mds_{name}"] = ((dim, "component"), embedding)
            attrs[f"mds_{name}_stress"] = stress
    coords = {"item": np.arange(n), "item_b": np.arange(n), "modal_item": keep, "modal_item_b": keep}
    return table, xr.Dataset(data, coords=coords, attrs=attrs)


def flipflop_topology(store: RunStore) -> tuple[pd.DataFrame, xr.Dataset]:
    """Transition graphs (Fig. 1e–f): one item per network, nodes = readouts snapped to
    the task's output values, so equal topologies are at distance 0 whatever the noise.
    Per network the table counts the stable fixed points (``n_stable``), the slow points
    (``n_slow``) and the stable cycles among the attractors (``n_cycles``; NaN for a store
    whose dynamics stage did not record attractors)."""
    labels, graphs, nodes = [], [], []
    for plan, points, _, transitions, attractors in _groups(store, "flipflop"):
        for network, rows in points.groupby("network"):
            graph = np.zeros((len(rows), len(rows)))
            edges = transitions[transitions.network == network]
            graph[edges.source.to_numpy(), edges.target.to_numpy()] = edges.probability.to_numpy()
            graphs.append(graph)
            nodes.append(snap(rows.filter(like="readout_").to_numpy(), plan.task.readout_grid))
            cycles = (np.nan if attractors is None else
                      int(((attractors.network == network) & (attractors.period >= 2)).sum()))
            labels.append(network_label(plan, network, n_stable=int(rows.stable.sum()),
                                        n_slow=int(rows.slow.sum()), n_cycles=cycles))
    return topology_distances(pd.DataFrame(labels, columns=LABELS + ["n_stable", "n_slow", "n_cycles"]), graphs, nodes)


def line_topology(store: RunStore, task: str, *, per_network: bool) -> tuple[pd.DataFrame, xr.Dataset]:
    """Nearest-neighbour graphs of fixed points ordered by readout: with ``per_network``
    one item per network over the slowest fixed point of each condition (Fig. 2e, the
    sine task's input-dependent points), otherwise one item per network and condition
    (Fig. 3d, each context's line attractor)."""
    labels, graphs, nodes = [], [], []
    for plan, points, arrays, *_ in _groups(store, task):
        if per_network:
            chosen = points.loc[points.groupby(["network", "condition"]).q.idxmin()]
            items = chosen.groupby("network")
        else:
            items = points.groupby(["network", "condition"])
        for key, rows in items:
            network, condition = (key, -1) if per_network else key
            order = rows.sort_values(["condition", "readout_0"]).index.to_numpy()
            graphs.append(nearest_neighbour_graph(arrays["states"][order]))
            nodes.append(points.loc[order].filter(like="readout_").to_numpy())
            labels.append(network_label(plan, network, condition=int(condition)))
    return topology_distances(pd.DataFrame(labels, columns=LABELS + ["condition"]), graphs, nodes)


def sine_frequencies(store: RunStore) -> pd.DataFrame:
    rows = []
    for plan, points, *_ in _groups(store, "sine"):
        frequencies = plan.task.frequencies
        for (network, condition), group in points.groupby(["network", "condition"]):
            slowest = group.sort_values("q").iloc[0]
            rows.append({"group": plan.group_id, "cell": plan.spec.cell, "activation": plan.spec.activation,
                         "network_id": int(network), "input_frequency": float(frequencies[condition]),
                         "linear_frequency": float(slowest.frequency), "n_points": len(group)})
    return pd.DataFrame(rows, columns=["group", "cell", "activation", "network_id", "input_frequency",
                                       "linear_frequency", "n_points"])


def context_integration(store: RunStore) -> pd.DataFrame:
    rows = []
    for plan, points, arrays, *_ in _groups(store, "context"):
        curves = arrays.get("mode_zeroing", np.zeros((0, 1)))
        for (network, condition), group in points.groupby(["network", "condition"]):
            mean_curve = curves[group.index.to_numpy()].mean(axis=0)
            rows.append({"group": plan.group_id, "cell": plan.spec.cell, "activation": plan.spec.activation,
                         "network_id": int(network), "context": int(condition), "n_points": len(group),
                         "mean_near_one": float(group.near_one.mean()),
                         "full_integral": float(mean_curve[-1]),
                         "modes_for_90pct": int(np.argmax(np.abs(mean_curve) >= 0.9 * abs(mean_curve[-1])))})
    return pd.DataFrame(rows, columns=["group", "cell", "activation", "network_id", "context", "n_points",
                                       "mean_near_one", "full_integral", "modes_for_90pct"])


def analyse_topology(store: RunStore, *, tasks: list[str] | None = None) -> None:
    """Write the per-task comparisons for every task, or those named in ``tasks``
    (skipping tasks already done)."""
    for task in store.study.tasks:
        if tasks is not None and task.name not in tasks:
            continue
        path = store.stage("topology", task.name)
        if is_complete(path):
            continue
        analyses = task_analyses(task.name)
        with atomic_directory(path, {"task": task.name}) as tmp:
            table, distances = analyses.topology(store)
            table.to_parquet(tmp / "networks.parquet", index=False)
            distances.to_zarr(tmp / "distances.zarr", zarr_format=3, consolidated=False)
            if analyses.per_task is not None:
                analyses.per_task(store).to_parquet(tmp / PER_TASK, index=False)


@dataclasses.dataclass(frozen=True)
class TaskTopology:
    """A task's finished topology stage: ``networks`` (one row per compared item, its
    fixed-point count, ``modal``), ``distances`` (``matched``, ``graph``, their MDS maps)
    and ``per_task``: the sine frequencies, the context integration, or ``None``."""

    networks: pd.DataFrame
    distances: xr.Dataset
    per_task: pd.DataFrame | None = None


def load_topology(store: RunStore, task: str) -> TaskTopology | None:
    """A task's finished topology stage (checksums verified), or ``None`` when it has not run."""
    path = store.stage("topology", task)
    if not store.stage_finished("topology", task):
        return None
    verify(path)
    return TaskTopology(pd.read_parquet(path / "networks.parquet"),
                        xr.open_zarr(path / "distances.zarr", consolidated=False).load(),
                        pd.read_parquet(path / PER_TASK) if (path / PER_TASK).is_file() else None)
