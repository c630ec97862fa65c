"""The state of a store's units and analyses as ``rnnpop status`` shows it."""

from __future__ import annotations

from ..store import CorruptGroupError
from ..store._atomic import read_manifest, verify


def unit_state(store, unit_id: str) -> str:
    """``'done'`` (complete, checksums match), ``'todo'`` (absent or never finished) or
    ``'corrupt: <why>'`` (finished once, a file no longer matches its checksum)."""
    try:
        verify(store.unit_dir(unit_id))
        return "done"
    except CorruptGroupError as err:
        return f"corrupt: {err}" if read_manifest(store.unit_dir(unit_id)) is not None else "todo"


def corrupt_analyses(store) -> list[str]:
    """Each finished analysis directory whose files no longer match their checksums
    (it is computed again by ``rnnpop analyse``), as ``'<path>: <why>'``."""
    found = []
    for manifest in store.analysis_manifests():
        try:
            verify(manifest.parent)
        except CorruptGroupError as err:
            found.append(f"{manifest.parent.relative_to(store.root)}: {err}")
    return found
