"""What a Dask worker runs: each function takes the store's path and names its work.

Workers share nothing but the run store: every task reopens it, writes its result
atomically, and returns only a small summary to the client.
"""

from __future__ import annotations

import os


def pin_threads() -> None:
    """One single-threaded XLA device in this worker process (the fast CPU layout);
    must run before the worker's first JAX computation, and is harmless after."""
    import warnings

    from ..train import configure_cpu

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if os.environ.get("JAX_PLATFORMS", "cpu") == "cpu":
            configure_cpu(1)


def train_task(root: str, group_id: str) -> dict:
    """Train one group into the store (skipped when complete; waits when claimed)."""
    pin_threads()
    from ..store import RunStore
    from ..studies._run import train_one, wait_for_groups

    store = RunStore.open(root)
    state = train_one(store, store.plan(group_id))
    if state == "claimed":
        wait_for_groups(store, [group_id])
    return {"group": group_id, "state": state, "pid": os.getpid()}


def group_analysis_task(root: str, group_id: str, *_dependencies) -> dict:
    """States on the probe inputs and the fixed points of one group."""
    pin_threads()
    from ..analysis import group_states
    from ..analysis._dynamics_stage import analyse_group_dynamics
    from ..store import RunStore, exclusive

    store = RunStore.open(root)
    settings = store.study.analysis
    with store.exclusive(f"group-{group_id}"):
        group_states(store, group_id, settings)
        if settings.dynamics:
            analyse_group_dynamics(store, group_id, settings)
    return {"group": group_id, "state": "analysed"}


def task_analysis_task(root: str, task: str, *_dependencies) -> dict:
    """Similarity (distances, MDS) and the topology comparisons of one task."""
    pin_threads()
    from ..analysis import analyse_similarity, analyse_topology
    from ..store import RunStore, exclusive

    store = RunStore.open(root)
    with store.exclusive(f"task-{task}"):
        analyse_similarity(store, store.study.analysis, tasks=[task])
        if store.study.analysis.dynamics:
            analyse_topology(store, tasks=[task])
    return {"task": task, "state": "analysed"}
