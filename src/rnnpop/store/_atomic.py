"""Atomic group directories: written under a temporary name, checksummed, renamed."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import uuid
from pathlib import Path

MANIFEST = "manifest.json"


class CorruptGroupError(RuntimeError):
    """A completed group's file is missing or does not match its checksum."""


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file() and p.name != MANIFEST)


@contextlib.contextmanager
def atomic_directory(final: Path, info: dict):
    """Yield a temporary directory; on success write its manifest and rename it to ``final``.

    The manifest (checksums of every file plus ``info``) is written last, so a
    directory without one is never complete; on any error the temporary directory is
    removed and ``final`` (if it existed) is untouched.
    """
    tmp = final.parent / f".tmp-{final.name}-{uuid.uuid4().hex[:8]}"
    tmp.mkdir(parents=True)
    try:
        yield tmp
        files = {str(p.relative_to(tmp)): sha256(p) for p in _files(tmp)}
        _write_durable(tmp / MANIFEST, json.dumps({**info, "files": files}, indent=1, sort_keys=True))
        if final.exists():
            shutil.rmtree(final)
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _write_durable(path: Path, text: str) -> None:
    with open(path, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())


def read_manifest(directory: Path) -> dict | None:
    """The manifest of a complete directory, or ``None`` if it has none (incomplete)."""
    try:
        return json.loads((directory / MANIFEST).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def is_complete(directory: Path) -> bool:
    """True when ``directory`` has a manifest and every file matches its checksum."""
    try:
        verify(directory)
    except CorruptGroupError:
        return False
    return True


def verify(directory: Path) -> None:
    """Raise :class:`CorruptGroupError` naming the first missing or altered file."""
    manifest = read_manifest(directory)
    if manifest is None:
        raise CorruptGroupError(f"{directory}: no manifest (incomplete)")
    for name, digest in manifest["files"].items():
        path = directory / name
        if not path.is_file():
            raise CorruptGroupError(f"{path}: missing")
        if sha256(path) != digest:
            raise CorruptGroupError(f"{path}: checksum mismatch (truncated or corrupted)")
