"""Run a study into a run store: every incomplete group trained and written atomically."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Callable, ContextManager

from ..store import RunStore
from ..train import Progress, SearchPlan, search_and_train
from ..studyfile import GroupPlan, Study

GroupProgress = Callable[[GroupPlan, int], ContextManager[Progress]]
"""``group_progress(plan, total_iterations)`` opens a progress callback for one group."""


def run_study(study: Study, root: str | Path, *, group_progress: GroupProgress | None = None,
              on_skip: Callable[[GroupPlan], None] | None = None) -> RunStore:
    """Train every group of ``study`` not yet complete in the store at ``root``.

    Complete groups are skipped, incomplete or corrupt ones redone from scratch, so an
    interrupted run resumes where it stopped and gives the same numbers.
    """
    store = RunStore.open(root, study)
    plan = SearchPlan(l2=study.l2, n_search=study.n_search, n_seeds=study.n_seeds,
                      space=study.search, seed=study.seed)
    total = 2 * study.train.n_iterations  # the search phase, then the seed phase
    for group in study.groups():
        if store.is_complete(group.group_id):
            if on_skip is not None:
                on_skip(group)
            continue
        opener = group_progress(group, total) if group_progress else contextlib.nullcontext(None)
        with opener as progress:
            result, table = search_and_train(group.task, group.spec, plan, study.train,
                                             group_id=group.group_id, progress=progress)
        store.write_group(group, result, table)
    return store
