"""Claims: one process at a time works on a group (or a stage) of a shared run store.

A claim is a directory created with ``mkdir`` (atomic on POSIX and NFS): whoever
creates it owns the work; the others skip that work and come back for its result.
The owner's host and pid are written inside. A claim is stale, and is taken over,
when its owner is a dead process on this host, or, for another host, when it has not
been refreshed (:func:`refresh`) for ``stale_after`` seconds.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import time
from pathlib import Path
from typing import Iterator

STALE_AFTER = 3600.0


def _owner() -> dict:
    return {"host": socket.gethostname(), "pid": os.getpid(), "time": time.time()}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie still answers kill(0); it is dead all the same
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ", 1)[1][:1] != "Z"
    except OSError:
        return True


def is_stale(path: Path, stale_after: float = STALE_AFTER) -> bool:
    """True when the claim at ``path`` belongs to nobody alive."""
    try:
        owner = json.loads((path / "owner.json").read_text())
    except (OSError, ValueError):
        # the owner died between mkdir and writing owner.json, or is writing it now
        return time.time() - path.stat().st_mtime > 60 if path.exists() else True
    if owner.get("host") == socket.gethostname():
        return not _alive(int(owner["pid"]))
    return time.time() - path.stat().st_mtime > stale_after


def refresh(path: Path) -> None:
    """Mark a held claim as alive (for owners on other hosts)."""
    with contextlib.suppress(OSError):
        os.utime(path)


@contextlib.contextmanager
def claim(directory: Path, name: str, *, stale_after: float = STALE_AFTER) -> Iterator[Path | None]:
    """Try to claim ``name`` in ``directory``: yields the claim's path, or ``None`` when
    another live process holds it. The claim is released on exit, also on errors."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f".claim-{name}"
    for _ in range(2):
        try:
            path.mkdir()
            break
        except FileExistsError:
            if not is_stale(path, stale_after):
                yield None
                return
            shutil.rmtree(path, ignore_errors=True)
    else:
        yield None
        return
    try:
        (path / "owner.json").write_text(json.dumps(_owner()))
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def remove_leftovers(directory: Path, name: str) -> None:
    """Remove temporary directories of ``name`` left by killed writers (call holding its claim)."""
    for tmp in directory.glob(f".tmp-{name}-*"):
        shutil.rmtree(tmp, ignore_errors=True)


def drop_stale_claim(directory: Path, name: str) -> None:
    """Remove the claim of ``name`` if its owner is dead: one killed after its work was
    complete but before it let go (call when ``name`` is complete)."""
    path = directory / f".claim-{name}"
    if path.exists() and is_stale(path):
        shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def exclusive(directory: Path, name: str, *, poll: float = 1.0) -> Iterator[Path]:
    """Hold the claim ``name``, waiting while another live process holds it."""
    while True:
        with claim(directory, name) as held:
            if held is not None:
                yield held
                return
        time.sleep(poll)
