"""A study as Dask tasks: train each group, analyse each group, compare each task."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Callable

from ..models import CELLS
from ..store import RunStore
from ..studyfile import GroupPlan, Study
from ._tasks import group_analysis_task, task_analysis_task, train_task

Progress = Callable[[str, int, int], None]
"""``progress(description, done, total)`` for the whole study."""


def training_cost(plan: GroupPlan) -> int:
    """Relative cost of training one group (multiply-adds of one network's trial): Dask
    starts the costliest groups first, so that no long group is left for the end."""
    blocks = CELLS[plan.spec.cell].n_blocks
    n = plan.spec.n_units
    return blocks * n * (n + plan.task.n_inputs) * plan.task.n_time


def execute_study(study: Study, root: str | Path, client, *, analyse: bool = True, retries: int = 2,
                  progress: Progress | None = None) -> RunStore:
    """Run ``study`` into the store at ``root`` on the Dask ``client``'s workers.

    Every group is a training task; every group's representations and fixed points a
    task after it; every task's similarity and topology a task after its groups'. A
    task whose worker dies is rescheduled by Dask; one that raises is retried up to
    ``retries`` times. Workers write to the shared store (atomic, checksummed, claimed);
    the client only follows completion. Groups start costliest first
    (:func:`training_cost`). Complete work is skipped, so an interrupted
    run resumes. Results do not depend on where tasks ran (each group is seeded from
    the study seed and its id).
    """
    from distributed import as_completed

    store = RunStore.open(root, study)
    path = str(store.root.resolve())
    token = hashlib.sha256(path.encode()).hexdigest()[:8]
    futures, trained = [], {}
    # Submitted costliest first as well: Dask hands the first tasks to idle workers as
    # they arrive, before the priorities of the ones still to come can count.
    for plan in sorted(study.groups(), key=training_cost, reverse=True):
        gid = plan.group_id
        trained[gid] = client.submit(train_task, path, gid, key=f"rnnpop-train-{gid}-{token}", retries=retries,
                                     priority=training_cost(plan))
        futures.append(trained[gid])
    if analyse:
        for task in study.tasks:
            per_group = [client.submit(group_analysis_task, path, p.group_id, trained[p.group_id],
                                       key=f"rnnpop-analyse-{p.group_id}-{token}", retries=retries)
                         for p in study.groups() if p.task.name == task.name]
            futures += per_group
            futures.append(client.submit(task_analysis_task, path, task.name, *per_group,
                                         key=f"rnnpop-compare-{task.name}-{token}", retries=retries))
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
