"""Run a study into a run store: every incomplete group trained and written atomically."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from .._progress import Progress
from ..store import CorruptGroupError, RunStore
from ..store._atomic import read_manifest, verify
from ..studyfile import GroupPlan, Study

if TYPE_CHECKING:
    from ..train import SearchPlan


def search_plan(study: Study) -> SearchPlan:
    from ..train import SearchPlan

    return SearchPlan(l2=study.l2, n_search=study.n_search, n_seeds=study.n_seeds,
                      space=study.search, seed=study.seed)


def train_one(store: RunStore, plan: GroupPlan, progress: Progress | None = None) -> str:
    """Train and write one group unless it is complete or another process holds it.

    Returns ``'done'`` (trained now), ``'complete'`` (already there) or ``'claimed'``
    (another live process is training it).
    """
    if store.is_complete(plan.group_id):
        store.drop_stale_claim(plan.group_id)
        return "complete"
    with store.claim_unit(plan.group_id) as held:
        if held is None:
            return "claimed"
        if store.is_complete(plan.group_id):  # finished by another process meanwhile
            return "complete"
        from ..train import search_and_train

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


def run_study(study: Study, root: str | Path, *, progress: Progress | None = None,
              on_skip: Callable[[GroupPlan], None] | None = None,
              on_corrupt: Callable[[GroupPlan, str], None] | None = None) -> RunStore:
    """Train every group of ``study`` not yet complete in the store at ``root``, in this process.

    ``progress(group_id, iterations_done, total, loss=…)`` follows each group.
    Complete groups are skipped, incomplete or corrupt ones redone from scratch, so an
    interrupted run resumes where it stopped and gives the same numbers (``on_corrupt``
    hears which file of a finished group failed its checksum before it is redone). Groups that
    another process is training (a concurrent run on the same store) are waited for.
    """
    store = RunStore.open(root, study)
    claimed = []
    for group in study.groups():
        try:  # one pass over the group's checksums decides: complete, absent or corrupt
            verify(store.unit_dir(group.group_id))
            store.drop_stale_claim(group.group_id)
            if on_skip is not None:
                on_skip(group)
            continue
        except CorruptGroupError as err:
            if on_corrupt is not None and read_manifest(store.unit_dir(group.group_id)) is not None:
                on_corrupt(group, str(err))
        if train_one(store, group, _for_unit(progress, group.group_id)) == "claimed":
            claimed.append(group.group_id)
    wait_for_groups(store, claimed)
    return store


def _for_unit(progress: Progress | None, unit_id: str) -> Progress | None:
    """``progress`` with its step named after the unit it follows."""
    if progress is None:
        return None
    return lambda _step, done, total, **values: progress(unit_id, done, total, **values)
