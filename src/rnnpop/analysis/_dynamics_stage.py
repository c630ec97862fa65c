"""The dynamics stage over a run store: fixed points, linearisations, transition graphs.

Per group, for every analysed seed network and every task condition (the static input
of ``task.conditions()``), fixed points are searched from states sampled on the
network's own probe trajectories plus noise (as in the paper), exact and slow points
both kept (``slow`` marks the approximate ones). Stored per group under
``analysis/dynamics/<group>/``: ``points.parquet`` (one row per fixed point: network,
condition, q, slow, stability, readout, oscillation frequency, eigenvalues near 1),
``arrays.zarr`` (states and eigenvalues, rows aligned with the table), for the
flip-flop ``transitions.parquet`` (network, source, target, probability; points in
readout order, readouts snapped to the task's ``readout_grid`` first) and, for the
flip-flop and a user's own trials, ``attractors.parquet``: the stable fixed points and
stable cycles that the network's iterates settle on from the same starts (network,
condition, period, count of starts, readout averaged over the orbit; a row of period 0
counts the starts that reached no period up to 8 within 1,000 steps), with the orbits'
points in ``arrays.zarr`` as ``attractor_orbits (rows of attractors.parquet, 8, units)``:
orbit a's points are ``[a, :period]`` (NaN for a period-0 row).
"""

from __future__ import annotations

import dataclasses
import time

import jax
import numpy as np
import pandas as pd
import zarr

from ..dynamics import (FixedPoints, count_near_one, find_population_attractors, find_population_fixed_points,
                        mode_zeroing_integration, oscillation_frequency, readout_order, slow_q, transition_graph)
from ..store import RunStore
from ..store._atomic import atomic_directory, is_complete, verify
from ..studyfile import AnalysisSettings
from .._progress import Progress
from ._stage import group_states
from ._task_analyses import task_analyses


def initial_states(trajectories: np.ndarray, n: int, *, noise: float, seed: int) -> np.ndarray:
    """``n`` states drawn from ``trajectories (trials, time, units)`` plus Gaussian noise of
    ``noise`` × each unit's standard deviation: ``(n, units)``."""
    flat = trajectories.reshape(-1, trajectories.shape[-1])
    rng = np.random.default_rng(seed)
    picked = flat[rng.integers(0, len(flat), n)]
    return picked + noise * flat.std(axis=0) * rng.normal(size=picked.shape)


def _network_step(net, h, x):
    return net.step(h, x)


def group_fixed_points(networks, task, trajectories: np.ndarray, settings: AnalysisSettings,
                       seeds) -> list[list[FixedPoints]]:
    """Fixed points of stacked ``networks`` (N) for each condition of ``task``:
    ``result[k][c]`` for network k and condition c. ``trajectories (N, trials, time,
    units)`` seed each network's initial states (``seeds (N,)``); the search is vmapped
    across the networks."""
    if len(trajectories) == 0:
        return []
    starts = _starts(trajectories, settings, seeds)
    q_slow = (np.array([slow_q(t, task.n_time, settings.slow_fraction) for t in trajectories])
              if settings.slow_fraction > 0 else None)
    per_condition = [find_population_fixed_points(_network_step, networks, starts, condition,
                                                  q_threshold=settings.q_threshold, q_slow=q_slow)
                     for condition in task.conditions()]
    return [list(points) for points in zip(*per_condition)]


_MAX_PERIOD = 8  # the longest cycle the attractor search recognises


def group_attractors(networks, task, trajectories: np.ndarray, settings: AnalysisSettings,
                     seeds) -> tuple[pd.DataFrame, np.ndarray]:
    """The attractors of stacked ``networks`` (N) for each condition of ``task``, reached
    from the fixed-point search's starts: one row per orbit (network index k in 0..N-1,
    condition, period, count) with its orbit-averaged readout, and a period-0 row counting
    the starts that reached no period up to ``_MAX_PERIOD``; and the orbits ``(rows,
    _MAX_PERIOD, units)``, orbit a's points ``[a, :period]`` (NaN for a period-0 row)."""
    units = trajectories.shape[-1]
    rows, orbits = [], []
    starts = _starts(trajectories, settings, seeds) if len(trajectories) else None
    for condition, x in enumerate(task.conditions() if starts is not None else []):
        per_network = find_population_attractors(_network_step, networks, starts, x, max_period=_MAX_PERIOD)
        for k, found in enumerate(per_network):
            net = jax.tree_util.tree_map(lambda a: a[k], networks)
            readout = np.asarray(net.readout(found.mean_states)) if len(found) else np.zeros((0, net.w_out.shape[0]))
            for a in range(len(found)):
                rows.append({"network": k, "condition": condition, "period": int(found.period[a]),
                             "count": int(found.count[a]), **{f"readout_{j}": float(v) for j, v in enumerate(readout[a])}})
            orbits.append(found.iterates)
            if found.n_unresolved:
                rows.append({"network": k, "condition": condition, "period": 0, "count": found.n_unresolved})
                orbits.append(np.full((1, _MAX_PERIOD, units), np.nan, np.float32))
    table = pd.DataFrame(rows, columns=None if rows else ["network", "condition", "period", "count"])
    return table, (np.concatenate(orbits) if orbits else np.zeros((0, _MAX_PERIOD, units), np.float32))


def _starts(trajectories: np.ndarray, settings: AnalysisSettings, seeds) -> np.ndarray:
    return np.stack([initial_states(t, settings.n_initial_states, noise=settings.initial_noise, seed=s)
                     for t, s in zip(trajectories, seeds)])


def _rows(net, points: FixedPoints, network: int, condition: int, grid) -> tuple[pd.DataFrame, np.ndarray]:
    readout = np.asarray(net.readout(points.states)) if len(points) else np.zeros((0, net.w_out.shape[0]))
    order = readout_order(readout, grid)
    readout = readout[order]
    frame = pd.DataFrame({
        "network": network, "condition": condition, "point": np.arange(len(points)),
        "q": points.q[order], "slow": points.is_slow[order], "n_unstable": points.n_unstable[order], "stable": points.is_stable[order],
        "frequency": oscillation_frequency(points.eigenvalues[order]) if len(points) else [],
        "near_one": count_near_one(points.eigenvalues[order]) if len(points) else [],
    })
    for k in range(readout.shape[1]):
        frame[f"readout_{k}"] = readout[:, k]
    return frame, order


def _mode_zeroing(net, points: FixedPoints, context: int, n_steps: int) -> np.ndarray:
    """Per point ``(M, n + 1)``: the readout after ``n_steps`` of a unit pulse on the cued
    stream (input ``context``), keeping the top-k modes (Fig. 3f)."""
    readout = np.zeros(points.states.shape[1])
    readout[: net.w_out.shape[1]] = np.asarray(net.w_out[0])  # the LSTM reads the h half of [h; c]
    return np.stack([
        mode_zeroing_integration(points.eigenvalues[i], points.right_eigenvectors[i],
                                 points.left_eigenvectors[i], points.input_jacobians[i][:, context],
                                 readout, n_steps)
        for i in range(len(points))]) if len(points) else np.zeros((0, points.states.shape[1] + 1))


def analyse_group_dynamics(store: RunStore, group_id: str, settings: AnalysisSettings) -> None:
    path = store.stage("dynamics", group_id)
    if is_complete(path):
        return
    start = time.perf_counter()
    plan = store.plan(group_id)
    analyses = task_analyses(plan.task.name)
    states = group_states(store, group_id, settings)
    trained = store.networks(group_id)
    tables, arrays, transitions = [], {"states": [], "eigenvalues": [], "mode_zeroing": []}, []
    index = states.network.values
    analysed, seeds = jax.tree_util.tree_map(lambda x: x[index], trained), settings.seed + index.astype(int)
    found = group_fixed_points(analysed, plan.task, states["trained"].values, settings, seeds=seeds)
    attractors = None
    if analyses.attractors:
        attractors, orbits = group_attractors(analysed, plan.task, states["trained"].values, settings, seeds)
        attractors["network"] = index[attractors["network"].to_numpy(int)].astype(int)
    for k, network in enumerate(index):
        net = jax.tree_util.tree_map(lambda x: x[network], trained)
        for condition, points in enumerate(found[k]):
            frame, order = _rows(net, points, int(network), condition, plan.task.readout_grid)
            tables.append(frame)
            arrays["states"].append(points.states[order])
            arrays["eigenvalues"].append(points.eigenvalues[order])
            if analyses.mode_zeroing:
                arrays["mode_zeroing"].append(_mode_zeroing(net, points.select(order), condition,
                                                            plan.task.n_time))
            if analyses.transitions and len(points):
                graph = transition_graph(net.step, points.select(order), seed=settings.seed)
                src, dst = np.nonzero(graph)
                transitions.append(pd.DataFrame({"network": int(network), "source": src, "target": dst,
                                                 "probability": graph[src, dst]}))
    table = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(
        columns=["network", "condition", "point", "q", "slow", "n_unstable", "stable", "frequency", "near_one"])
    with atomic_directory(path, {"group": group_id, "seconds": time.perf_counter() - start}) as tmp:
        table.to_parquet(tmp / "points.parquet", index=False)
        root = zarr.open_group(str(tmp / "arrays.zarr"), mode="w")
        for name, parts in arrays.items():
            if name == "mode_zeroing" and not parts:
                continue
            data = np.concatenate(parts) if parts else np.zeros((0, states.sizes["unit"]))
            root.create_array(name, data=data.astype(np.complex64 if name == "eigenvalues" else np.float32))
        if transitions:
            pd.concat(transitions, ignore_index=True).to_parquet(tmp / "transitions.parquet", index=False)
        if attractors is not None:
            attractors.to_parquet(tmp / "attractors.parquet", index=False)
            root.create_array("attractor_orbits", data=orbits.astype(np.float32))


def analyse_dynamics(store: RunStore, settings: AnalysisSettings, *, progress: Progress | None = None) -> None:
    """Run the dynamics stage for every group of the store's study (skipping done ones)."""
    groups = [g.group_id for g in store.study.groups()]
    for i, gid in enumerate(groups, 1):
        analyse_group_dynamics(store, gid, settings)
        if progress:
            progress("fixed points", i, len(groups))


@dataclasses.dataclass(frozen=True)
class GroupDynamics:
    """A group's fixed points: ``points`` (one row per point: network, condition, q,
    stability, …), ``arrays`` aligned with its rows (``states (P, units)``,
    ``eigenvalues (P, units)``, the context task's ``mode_zeroing``), ``transitions``
    (flip-flop: network, source, target, probability; empty otherwise) and ``attractors``
    (network, condition, period, count, readout_k; ``None`` where the stage did not record
    them: tasks without the analysis, stores written before it)."""

    points: pd.DataFrame
    arrays: dict[str, np.ndarray]
    transitions: pd.DataFrame
    attractors: pd.DataFrame | None = None


def load_dynamics(store: RunStore, group_id: str) -> GroupDynamics:
    """The stored dynamics stage of ``group_id`` (checksums verified)."""
    path = store.stage("dynamics", group_id)
    verify(path)
    root = zarr.open_group(str(path / "arrays.zarr"), mode="r")
    transitions = (pd.read_parquet(path / "transitions.parquet") if (path / "transitions.parquet").exists()
                   else pd.DataFrame(columns=["network", "source", "target", "probability"]))
    attractors = pd.read_parquet(path / "attractors.parquet") if (path / "attractors.parquet").exists() else None
    return GroupDynamics(pd.read_parquet(path / "points.parquet"),
                         {k: np.asarray(root[k][:]) for k in root.array_keys()}, transitions, attractors)
