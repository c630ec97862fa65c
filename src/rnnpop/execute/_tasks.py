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


def train_task(root: str, unit_id: str) -> dict:
    """Train one unit into the store (skipped when complete; waits when claimed)."""
    pin_threads()
    from ..store import open_store
    from ..studies._kind import kind_of

    store = open_store(root)
    state = kind_of(store.study).train_unit(store, unit_id)
    return {"unit": unit_id, "state": state, "pid": os.getpid()}


def stage_task(root: str, stage: str, key: str | None, *_dependencies) -> dict:
    """Run one analysis stage for one key (a unit, a task, or the study) once its
    dependencies (the futures passed after it) are done."""
    pin_threads()
    from ..store import open_store
    from ..studies._kind import kind_of

    store = open_store(root)
    found = {s.name: s for s in kind_of(store.study).stages}[stage]
    with store.exclusive(f"{stage}-{key}"):
        found.run(store, key, None)
    return {"stage": stage, "key": key, "state": "analysed"}
