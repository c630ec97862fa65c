"""Run a study into a run store: every incomplete group trained and written atomically."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Callable, ContextManager

from ..store import CorruptGroupError, RunStore, claim, drop_stale_claim, read_manifest, remove_leftovers, verify
from ..train import Progress, SearchPlan, search_and_train
from ..studyfile import GroupPlan, Study

GroupProgress = Callable[[GroupPlan, int], ContextManager[Progress]]
"""``group_progress(plan, total_iterations)`` opens a progress callback for one group."""


def search_plan(study: Study) -> SearchPlan:
    return SearchPlan(l2=study.l2, n_search=study.n_search, n_seeds=study.n_seeds,
                      space=study.search, seed=study.seed)


def train_one(store: RunStore, plan: GroupPlan, progress: Progress | None = None) -> str:
    """Train and write one group unless it is complete or another process holds it.

    Returns ``'done'`` (trained now), ``'complete'`` (already there) or ``'claimed'``
    (another live process is training it).
    """
    if store.is_complete(plan.group_id):
        drop_stale_claim(store.root / "groups", plan.group_id)
        return "complete"
    with claim(store.root / "groups", plan.group_id) as held:
        if held is None:
            return "claimed"
        if store.is_complete(plan.group_id):  # finished by another process meanwhile
            return "complete"
        remove_leftovers(store.root / "groups", plan.group_id)
        result, table = search_and_train(plan.task, plan.spec, search_plan(store.study), store.study.train,
                                         group_id=plan.group_id, progress=progress)
        store.write_group(plan, result, table)
    return "done"


def wait_for_groups(store: RunStore, group_ids, *, poll: float = 2.0, timeout: float | None = None) -> None:
    """Block until every group in ``group_ids`` is complete (held by other processes)."""
    start = time.monotonic()
    pending = [g for g in group_ids if not store.is_complete(g)]
    while pending:
        if timeout is not None and time.monotonic() - start > timeout:
            raise TimeoutError(f"groups still incomplete after {timeout} s: {pending}")
        time.sleep(poll)
        for gid in list(pending):
            if store.is_complete(gid):
                pending.remove(gid)
            else:
                # its owner may have died: take it over
                if train_one(store, store.plan(gid)) == "done":
                    pending.remove(gid)


def run_study(study: Study, root: str | Path, *, group_progress: GroupProgress | None = None,
              on_skip: Callable[[GroupPlan], None] | None = None,
              on_corrupt: Callable[[GroupPlan, str], None] | None = None) -> RunStore:
    """Train every group of ``study`` not yet complete in the store at ``root``, in this process.

    Complete groups are skipped, incomplete or corrupt ones redone from scratch, so an
    interrupted run resumes where it stopped and gives the same numbers (``on_corrupt``
    hears which file of a finished group failed its checksum before it is redone). Groups that
    another process is training (a concurrent run on the same store) are waited for.
    """
    store = RunStore.open(root, study)
    total = 2 * study.train.n_iterations  # the search phase, then the seed phase
    claimed = []
    for group in study.groups():
        try:  # one pass over the group's checksums decides: complete, absent or corrupt
            verify(store.unit_dir(group.group_id))
            drop_stale_claim(store.root / "groups", group.group_id)
            if on_skip is not None:
                on_skip(group)
            continue
        except CorruptGroupError as err:
            if on_corrupt is not None and read_manifest(store.unit_dir(group.group_id)) is not None:
                on_corrupt(group, str(err))
        opener = group_progress(group, total) if group_progress else contextlib.nullcontext(None)
        with opener as progress:
            if train_one(store, group, progress) == "claimed":
                claimed.append(group.group_id)
    wait_for_groups(store, claimed)
    return store
