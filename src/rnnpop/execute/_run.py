"""A study as Dask tasks: each unit trained, then each analysis stage per unit, task or
study, after what it depends on (the graph its :class:`~rnnpop.studies.StudyKind` declares)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from .._progress import Progress
from ..models import CELLS
from ..store import open_store
from ..studies._kind import kind_of
from ._tasks import stage_task, train_task


def training_cost(plan) -> int:
    """Relative cost of training one group (multiply-adds of one network's trial): Dask
    starts the costliest groups first, so that no long group is left for the end."""
    blocks = CELLS[plan.spec.cell].n_blocks
    n = plan.spec.n_units
    return blocks * n * (n + plan.task.n_inputs) * plan.task.n_time


def execute_study(study, root: str | Path, client, *, analyse: bool = True, retries: int = 2,
                  progress: Progress | None = None):
    """Run ``study`` into the store at ``root`` on the Dask ``client``'s workers.

    Every unit is a training task; every analysis stage a task per key after the stages
    it names in ``after`` (for the same unit; for every unit of the same task; for
    everything, at study scope). A task whose worker dies is rescheduled by Dask; one
    that raises is retried up to ``retries`` times. Workers write to the shared store
    (atomic, checksummed, claimed); the client only follows completion. Groups start
    costliest first (:func:`training_cost`). Complete work is skipped, so an interrupted
    run resumes. Results do not depend on where tasks ran (each unit is seeded from the
    study seed and its id).
    """
    from distributed import as_completed

    kind = kind_of(study)
    if kind.train_unit is None:
        raise ValueError(f"a {kind.name} study runs in-process; Dask runs apply to universality studies")
    store = open_store(root, study)
    path = str(store.root.resolve())
    token = hashlib.sha256(path.encode()).hexdigest()[:8]
    units = study.units_of_work()
    cost = {u.unit_id: training_cost(u) for u in units}
    futures, done_by = [], {}  # done_by[(stage, key)]: the future that finishes it
    # Submitted costliest first as well: Dask hands the first tasks to idle workers as
    # they arrive, before the priorities of the ones still to come can count.
    for unit in sorted(units, key=lambda u: cost[u.unit_id], reverse=True):
        done_by[("train", unit.unit_id)] = client.submit(
            train_task, path, unit.unit_id, key=f"rnnpop-train-{unit.unit_id}-{token}", retries=retries,
            priority=cost[unit.unit_id])
    futures += done_by.values()
    if analyse:
        for stage in kind.enabled_stages(study):
            for key in kind.keys(study, stage):
                needs = _dependencies(kind, study, stage, key, done_by)
                done_by[(stage.name, key)] = client.submit(stage_task, path, stage.name, key, *needs,
                                                           key=f"rnnpop-{stage.name}-{key}-{token}", retries=retries)
                futures.append(done_by[(stage.name, key)])
    done = 0
    try:
        for future in as_completed(futures):
            future.result()  # re-raises a task's error after its retries
            done += 1
            if progress is not None:
                progress(f"{study.name}: tasks", done, len(futures))
    except BaseException:
        client.cancel(futures)
        raise
    return store


def _dependencies(kind, study, stage, key, done_by) -> list:
    """The futures ``stage`` at ``key`` waits for: training and the named earlier stages of
    the same unit (unit scope), of the task's units and the task (task scope), or all."""
    units = [u.unit_id for u in study.units_of_work()]
    if stage.scope == "unit":
        mine = [key]
    elif stage.scope == "task":
        mine = [u for u in units if kind.task_of(study, u) == key]
    else:
        mine = units
    names = ("train", *stage.after)
    return [f for (name, k), f in done_by.items()
            if name in names and (k in mine or (stage.scope != "unit" and k == key) or stage.scope == "study")]
