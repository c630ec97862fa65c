"""Where everything lives inside a run directory: the only module that spells out paths.

Layout (both study kinds)::

    <root>/study.toml                      the resolved study
    <root>/<work>/<unit-id>/               one complete-or-absent directory per trained unit
                                           (work = groups | models)
    <root>/<work>/.checkpoint-<unit-id>.*  a unit's mid-training checkpoint
    <root>/analysis/<stage path>/          one complete-or-absent directory per stage item
    <root>/report.html                     the report

Stage paths are named in :data:`STAGE_PATHS`; every other module asks the store for
them (:meth:`Layout.stage`), so the layout can change in one place.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import ClassVar, Iterator

from ._atomic import is_complete
from ._claims import claim, drop_stale_claim, exclusive, remove_leftovers

STAGE_PATHS = {
    "representations": "representations/{key}",  # per group: probe states
    "dynamics": "dynamics/{key}",                  # per group: fixed points, transitions, attractors
    "similarity": "similarity-{key}",              # per task: distance matrices, MDS
    "topology": "topology-{key}",                  # per task: fixed-point topology
    "vision": "vision",                            # per study: the vision summary
}
"""Stage name → path under ``analysis/`` (``{key}``: the group or task it belongs to)."""


class Layout:
    """Paths of a run directory; mixed into both stores (``root`` and ``WORK`` given)."""

    root: Path
    WORK: ClassVar[str]

    @property
    def work_dir(self) -> Path:
        """Where trained units live: ``groups/`` or ``models/``."""
        return self.root / self.WORK

    @property
    def analysis_dir(self) -> Path:
        return self.root / "analysis"

    @property
    def report_path(self) -> Path:
        return self.root / "report.html"

    def unit_dir(self, unit_id: str) -> Path:
        """The complete-or-absent directory of one trained group or network."""
        return self.work_dir / unit_id

    def checkpoint_path(self, unit_id: str) -> Path:
        return self.work_dir / f".checkpoint-{unit_id}.safetensors"

    def stage(self, name: str, key: str | None = None) -> Path:
        """The directory of stage ``name`` for ``key`` (a group id, a task name, or none)."""
        if name not in STAGE_PATHS:
            raise KeyError(f"unknown analysis stage {name!r}; stages: {sorted(STAGE_PATHS)}")
        pattern = STAGE_PATHS[name]
        if ("{key}" in pattern) != (key is not None):
            raise ValueError(f"stage {name!r} " + ("needs a key" if "{key}" in pattern else "takes no key"))
        return self.analysis_dir / pattern.format(key=key)

    def stage_done(self, name: str, key: str | None = None) -> bool:
        return is_complete(self.stage(name, key))

    def stage_finished(self, name: str, key: str | None = None) -> bool:
        """True when the stage item is complete, False when it never finished; raises
        :class:`CorruptGroupError` naming the file when it finished once and a file has
        changed since (so a reader says so instead of leaving it out)."""
        from ._atomic import read_manifest, verify

        path = self.stage(name, key)
        if is_complete(path):
            return True
        if read_manifest(path) is not None:
            verify(path)  # raises, naming the altered file
        return False

    def has_analyses(self) -> bool:
        return any(self.analysis_dir.rglob("manifest.json")) if self.analysis_dir.exists() else False

    def analysis_manifests(self) -> Iterator[Path]:
        """Every finished-looking analysis directory's manifest (for checksum checks)."""
        return iter(sorted(self.analysis_dir.rglob("manifest.json")) if self.analysis_dir.exists() else [])

    @contextlib.contextmanager
    def claim_unit(self, unit_id: str) -> Iterator[Path | None]:
        """Hold ``unit_id`` for training (``None``: another live process holds it); leftovers
        of an interrupted attempt are removed once held."""
        with claim(self.work_dir, unit_id) as held:
            if held is not None:
                remove_leftovers(self.work_dir, unit_id)
            yield held

    def drop_stale_claim(self, unit_id: str) -> None:
        drop_stale_claim(self.work_dir, unit_id)

    def exclusive(self, name: str):
        """One process at a time on analysis work ``name`` (others wait)."""
        return exclusive(self.analysis_dir, name)


def layout_markdown() -> str:
    """The run directory's layout as Markdown (for the documentation): this module's
    description and every stage's path."""
    rows = [f"| `{name}` | `analysis/{pattern}/` |" for name, pattern in STAGE_PATHS.items()]
    return "\n".join(["```", __doc__.split("Layout (both study kinds)::")[1].split("Stage paths")[0].strip("\n"),
                      "```", "", "| stage | directory |", "|---|---|", *rows])
