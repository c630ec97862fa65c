"""The similarity stage over a run store: representations, distance matrices, MDS.

Per task, every analysed seed network (the inclusion rule of ``_inclusion``; trained,
and the same networks untrained when ``untrained``) is run on the task's probe inputs; the states are
written per group, then one distance matrix per metric over all of them and an MDS
map of the trained networks. Each output is a complete-or-absent directory, so the
stage resumes where it stopped.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import jax
import numpy as np
import pandas as pd
import xarray as xr

from .._progress import Progress
from ..similarity import dsa_distances, pairwise
from ..store import RunStore
from ..store._atomic import atomic_directory, is_complete, verify
from ..studyfile import AnalysisSettings
from ._embedding import mds
from ._inclusion import included_networks
from ._representations import probe_inputs, representations



@dataclasses.dataclass(frozen=True)
class TaskSimilarity:
    """A task's finished similarity stage: ``data`` (a distance matrix per metric over
    dims (network, network_b), MDS maps, the labels as coordinates) and ``labels``, one row
    per network: ``group``, ``network_id``, ``cell``, ``activation``, ``trained``."""

    data: xr.Dataset
    labels: pd.DataFrame


def network_label(plan, network: int, **extra) -> dict:
    """The row that identifies one network of a group in an analysis table."""
    return {"group": plan.group_id, "cell": plan.spec.cell, "activation": plan.spec.activation,
            "units": plan.spec.n_units, "network_id": int(network), **extra}


def group_states(store: RunStore, group_id: str, settings: AnalysisSettings) -> xr.Dataset:
    """States on the probe inputs of a group's analysed seed networks, computed once and stored.

    Dataset variables ``trained`` and ``untrained`` with dims (network, trial, time, unit)
    (the whole state: [h; c] for an LSTM); coordinate ``network`` holds the networks'
    ids within the group.
    """
    path = store.stage("representations", group_id)
    if not is_complete(path):
        index = included_networks(store.group_table(group_id), settings.max_relative_loss)
        task = store.plan(group_id).task
        inputs = probe_inputs(task, settings.probe_samples)
        data = {}
        for which in ("trained", "untrained"):
            nets = jax.tree_util.tree_map(lambda x: x[index], store.networks(group_id, which))
            states = (representations(nets, inputs) if len(index) else
                      np.zeros((0, *inputs.shape[:2], nets.cell.state_size), np.float32))
            data[which] = (("network", "trial", "time", "unit"), states)
        dataset = xr.Dataset(data, coords={"network": index})
        with atomic_directory(path, {"group": group_id}) as tmp:
            dataset.to_zarr(tmp / "states.zarr", zarr_format=3, consolidated=False)
    return xr.open_zarr(path / "states.zarr", consolidated=False).load()


def representation_size(spec, settings: AnalysisSettings) -> int:
    """How many leading state units are a network's representation: an LSTM's hidden
    state h alone (``lstm_state = "hidden"``) or the whole state."""
    return 2 * spec.n_units if spec.cell == "lstm" and settings.lstm_state == "full" else spec.n_units


def analyse_similarity(store: RunStore, settings: AnalysisSettings, *, progress: Progress | None = None,
                       tasks: list[str] | None = None) -> None:
    """Run the similarity stage for every task of the store's study, or those named in
    ``tasks`` (skipping done parts)."""
    for task in store.study.tasks:
        if tasks is not None and task.name not in tasks:
            continue
        path = store.stage("similarity", task.name)
        if is_complete(path):
            continue
        start = time.perf_counter()
        groups = [g.group_id for g in store.study.groups() if g.task.name == task.name]
        missing = [g for g in groups if not store.is_complete(g)]
        if missing:
            raise RuntimeError(f"train these groups first (rnnpop run): {missing}")
        labels, reps, trajectories = [], [], []
        for i, gid in enumerate(groups, 1):
            states = group_states(store, gid, settings)
            plan = store.plan(gid)
            units = representation_size(plan.spec, settings)
            for which in ("trained", "untrained") if settings.untrained else ("trained",):
                for k, network in enumerate(states.network.values):
                    reps.append(states[which].values[k][..., :units].reshape(-1, units))
                    trajectories.append(states[which].values[k][..., :units])
                    labels.append(network_label(plan, network, trained=which == "trained"))
            if progress:
                progress(f"{task.name}: representations", i, len(groups))
        columns = ["group", "cell", "activation", "units", "network_id", "trained"]
        _write_similarity(path, task.name, pd.DataFrame(labels, columns=columns), reps, trajectories, settings,
                          progress, start)


def _write_similarity(path: Path, task: str, labels: pd.DataFrame, reps, trajectories, settings, progress,
                      start: float) -> None:
    variables, attrs = {}, {}
    trained = labels.trained.to_numpy(bool)
    for metric in settings.metrics:
        def tick(_step, done, total, metric=metric):
            if progress:
                progress(f"{task}: {metric}", done, total)

        # a task whose networks were all set aside still gets its (empty) stage
        if not reps:
            D = np.zeros((0, 0))
        elif metric == "dsa":  # dynamics compared directly: the probe trajectories, not their states
            D = dsa_distances(trajectories, n_delays=settings.dsa_delays, rank=settings.dsa_rank,
                              score=settings.dsa_score, seed=settings.seed, progress=tick)
        else:
            D = pairwise(reps, metric=metric, variance=settings.variance, progress=tick)
        variables[metric] = (("network", "network_b"), D)
        embedding, stress = mds(D[np.ix_(trained, trained)], seed=settings.seed)
        variables[f"mds_{metric}"] = (("trained_network", "component"), embedding)
        attrs[f"mds_{metric}_stress"] = stress
    coords = {"network": np.arange(len(labels)), "network_b": np.arange(len(labels)),
              "trained_network": np.flatnonzero(trained)}
    coords.update({c: ("network", labels[c].to_numpy()) for c in labels.columns})
    attrs.update(dataclasses.asdict(settings), task=task, metrics=list(settings.metrics))
    dataset = xr.Dataset(variables, coords=coords, attrs=attrs)
    with atomic_directory(path, {"task": task, "seconds": time.perf_counter() - start}) as tmp:
        dataset.to_zarr(tmp / "similarity.zarr", zarr_format=3, consolidated=False)


def load_similarity(store: RunStore, task: str) -> xr.Dataset:
    """The stored similarity dataset of ``task`` (distances per metric, MDS, labels)."""
    path = store.stage("similarity", task)
    verify(path)
    return xr.open_zarr(path / "similarity.zarr", consolidated=False).load()


def stored_similarity(store: RunStore, task: str) -> TaskSimilarity | None:
    """A task's finished similarity stage, or ``None`` when it has not run."""
    if not store.stage_finished("similarity", task):
        return None
    data = load_similarity(store, task)
    return TaskSimilarity(data, pd.DataFrame({c: data[c].values for c in ("group", "network_id", "cell",
                                                                          "activation", "trained")}))
