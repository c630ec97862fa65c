"""The run directory of a universality study: one complete-or-absent directory per group.

Layout of a group (the rest: :mod:`rnnpop.store._layout`)::

    <root>/groups/<group-id>/
        params.safetensors             trained/... and untrained/... stacked weights
        metrics.parquet                one row per network
        curves.zarr                    loss curves (network, log_step)
        manifest.json                  spec, checksums; written last
"""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import tomli_w

from ..studyfile import GroupPlan, Study, StudyError, parse_study
from ._atomic import atomic_directory, is_complete, read_manifest, verify
from ._hardware import hardware
from ._layout import Layout

if TYPE_CHECKING:
    from ..models import Network
    from ..train import GroupResult

STUDY_FILE = "study.toml"


@dataclasses.dataclass(frozen=True)
class RunStore(Layout):
    """A study's run directory. Create or reopen with :meth:`open`."""

    root: Path
    study: Study
    WORK = "groups"

    @classmethod
    def open(cls, root: str | Path, study: Study | None = None) -> "RunStore":
        """Open ``root``; with ``study``, create it or check it was made from that study."""
        root = Path(root)
        stored = open_study(root, study, cls.WORK)
        if stored.kind not in ("universality", "imported"):
            raise StudyError(f"{root} holds a {type(stored).__name__}, not a universality study; "
                             "open it with rnnpop.store.open_store")
        return cls(root, stored)

    def is_complete(self, group_id: str) -> bool:
        """Complete and intact: a manifest whose checksums all match."""
        return is_complete(self.unit_dir(group_id))

    def write_group(self, plan: GroupPlan, result: GroupResult, table: pd.DataFrame) -> None:
        """Atomically write a trained group (replacing an incomplete or corrupt one)."""
        import zarr

        from ._weights import save_networks

        table = table.copy()
        for column, value in (("group", plan.group_id), ("task", plan.task.name), ("cell", plan.spec.cell),
                              ("activation", plan.spec.activation), ("units", plan.spec.n_units)):
            table.insert(1, column, value)
        info = {"group": plan.group_id, "n_networks": len(table), "seconds": result.seconds,
                "log_every": self.study.train.log_every, "hardware": hardware()}
        with atomic_directory(self.unit_dir(plan.group_id), info) as tmp:
            save_networks(tmp / "params.safetensors", {"trained": result.networks, "untrained": result.untrained},
                          {"group": plan.group_id})
            table.to_parquet(tmp / "metrics.parquet", index=False)
            curves = zarr.create_array(store=str(tmp / "curves.zarr"), shape=result.curves.shape,
                                       dtype="float32", dimension_names=("network", "log_step"))
            curves[:] = result.curves
            curves.attrs["log_every"] = self.study.train.log_every

    def complete_groups(self) -> list[str]:
        return [p.group_id for p in self.study.groups() if self.is_complete(p.group_id)]

    def table(self) -> pd.DataFrame:
        """One row per network of every complete group."""
        frames = [self.group_table(g) for g in self.complete_groups()]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def group_table(self, group_id: str) -> pd.DataFrame:
        """One row per network of a complete group (``network`` is its index in the group)."""
        return pd.read_parquet(self.unit_dir(group_id) / "metrics.parquet")

    def networks(self, group_id: str, which: str = "trained") -> Network:
        """The stacked networks (``which`` = 'trained' | 'untrained') of a complete group."""
        from ..train._population import network_skeleton
        from ._weights import load_networks

        if which not in ("trained", "untrained"):
            raise ValueError(f"which must be 'trained' or 'untrained', got {which!r}")
        plan = self.plan(group_id)
        verify(self.unit_dir(group_id))
        n = read_manifest(self.unit_dir(group_id))["n_networks"]
        skeleton = network_skeleton(plan.task, plan.spec, n)
        return load_networks(self.unit_dir(group_id) / "params.safetensors", skeleton, which)

    def curves(self, group_id: str) -> np.ndarray:
        """Loss curves ``(n_networks, n_log_steps)``; step k covers iterations ``[k, k+1)·log_every``."""
        import zarr

        return np.asarray(zarr.open_array(str(self.unit_dir(group_id) / "curves.zarr"), mode="r")[:])

    def plan(self, group_id: str) -> GroupPlan:
        """The task and network shape of ``group_id``."""
        for plan in self.study.groups():
            if plan.group_id == group_id:
                return plan
        raise KeyError(f"no group {group_id!r} in this study; groups: {[p.group_id for p in self.study.groups()]}")


def open_study(root: Path, study, work: str):
    """The study of the store at ``root``: with ``study`` given, create the store (making
    ``root/work``) or check the stored study trains the same networks (new analysis
    settings are written; the networks are kept)."""
    study_file = root / STUDY_FILE
    if study_file.is_file():
        stored = parse_study(tomllib.loads(study_file.read_text()), base=root)
        if study is None:
            return stored
        if stored.training_dict() != study.training_dict():
            raise StudyError(f"store {root} was made from a different study "
                             f"({_difference(stored.training_dict(), study.training_dict())}); "
                             "use another --store directory, or the original study file")
        if stored.to_dict() != study.to_dict():
            _write_study(root, study)
        return study
    if study is None:
        raise FileNotFoundError(f"{root} is not a run store (no {STUDY_FILE})")
    (root / work).mkdir(parents=True, exist_ok=True)
    _write_study(root, study)
    return study


def _write_study(root: Path, study) -> None:
    tmp = root / f".{STUDY_FILE}.tmp"
    tmp.write_text(tomli_w.dumps(study.to_dict()))
    tmp.replace(root / STUDY_FILE)


def _difference(a: dict, b: dict, where: str = "") -> str:
    for key in sorted(set(a) | set(b)):
        path = f"{where}.{key}" if where else key
        if isinstance(a.get(key), dict) and isinstance(b.get(key), dict):
            found = _difference(a[key], b[key], path)
            if found:
                return found
        elif a.get(key) != b.get(key):
            return f"{path}: stored {a.get(key)!r}, given {b.get(key)!r}"
    return ""


def is_run_store(root: str | Path) -> bool:
    """Whether ``root`` holds a run store (a resolved study file)."""
    return (Path(root) / STUDY_FILE).is_file()


def open_store(root: str | Path, study=None):
    """Open (or, with ``study``, create) the run store at ``root``: a :class:`RunStore` for
    a universality study, a :class:`VisionStore` for a vision study."""
    from ._vision import VisionStore

    root = Path(root)
    stores = {"universality": RunStore, "imported": RunStore, "vision": VisionStore}
    study = open_study(root, study, stores[study.kind].WORK if study is not None else None)
    return stores[study.kind](root, study)


def load(root: str | Path):
    """Open an existing run store for reading (``.table()``, ``.networks(group)`` for a
    universality study; ``.heldout(model)``, ``.network(model)`` for a vision study)."""
    return open_store(root)
