"""The universality study as a :class:`StudyKind`: groups trained, then per group the
probe states and fixed points, per task the similarity and topology comparisons."""

from __future__ import annotations

import dataclasses

import pandas as pd

from ._kind import Stage, StudyKind
from ._run import run_study, train_one, wait_for_groups
from ._units import unit_state


def _representations(store, group_id, progress) -> None:
    from ..analysis import group_states

    group_states(store, group_id, store.study.analysis)


def _similarity(store, task, progress) -> None:
    from ..analysis import analyse_similarity

    analyse_similarity(store, store.study.analysis, tasks=[task], progress=progress)


def _dynamics(store, group_id, progress) -> None:
    from ..analysis._dynamics_stage import analyse_group_dynamics

    analyse_group_dynamics(store, group_id, store.study.analysis)


def _topology(store, task, progress) -> None:
    from ..analysis import analyse_topology

    analyse_topology(store, tasks=[task])


def _dynamics_wanted(study) -> bool:
    return study.analysis.dynamics


def _train_unit(store, group_id: str) -> str:
    state = train_one(store, store.plan(group_id))
    if state == "claimed":
        wait_for_groups(store, [group_id])
    return state


def _task_of(study, group_id: str) -> str:
    return next(p.task.name for p in study.groups() if p.group_id == group_id)


def _status(store) -> pd.DataFrame:
    """One row per group: state, networks, diverged, baseline, median seed validation loss."""
    table = store.table()
    rows = []
    for plan in store.study.groups():
        state = unit_state(store, plan.group_id)
        row = {"group": plan.group_id, "state": state, "nets": "", "diverged": "", "baseline": "", "val. loss": ""}
        if state == "done" and not table.empty:
            mine = table[table.group == plan.group_id]
            seeds = mine[mine.phase == "seed"]
            row.update({"nets": str(len(mine)), "diverged": str(int((mine.status == "diverged").sum())),
                        "baseline": f"{mine.baseline_loss.iloc[0]:.4g}",
                        "val. loss": f"{seeds.validation_loss.median():.4g}"})
        rows.append(row)
    return pd.DataFrame(rows)


def _report(store, path=None):
    from ..report import build_report

    return build_report(store, path)


UNIVERSALITY = StudyKind(
    name="universality",
    train=run_study,
    train_unit=_train_unit,
    task_of=_task_of,
    stages=(
        Stage("representations", "unit", _representations),
        Stage("similarity", "task", _similarity, after=("representations",)),
        Stage("dynamics", "unit", _dynamics, after=("representations",), enabled=_dynamics_wanted),
        Stage("topology", "task", _topology, after=("dynamics",), enabled=_dynamics_wanted),
    ),
    status=_status,
    report=_report,
)


def _nothing_to_train(study, root, **_callbacks):
    """An imported population is complete when imported: make sure the store is there."""
    from ..store import open_store

    return open_store(root, study)


IMPORTED = dataclasses.replace(UNIVERSALITY, name="imported", train=_nothing_to_train, train_unit=None)
"""Networks trained elsewhere (:func:`rnnpop.interop.import_population`): the universality
study's stages, status and report, nothing to train."""
