"""A study kind: its units of work and the graph of analysis stages that follows them.

Every kind (universality, vision) declares the same things, so one in-process executor
(:func:`analyse`) and one Dask executor (:func:`rnnpop.execute.execute_study`) run any of
them, and the command line never asks which kind it holds. Adding a kind or a stage
touches the kind's declaration and the stage's function, nothing else.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Literal

from .._progress import Progress

Scope = Literal["unit", "task", "study"]


@dataclasses.dataclass(frozen=True)
class Stage:
    """One analysis stage: ``run(store, key, progress)`` for every key of its ``scope``
    (a unit id, a task name, or ``None`` once per study), after the stages named in
    ``after`` have run for the same unit, the units of the same task, or everything.
    ``enabled(study)`` says whether the study asks for it."""

    name: str
    scope: Scope
    run: Callable[..., None]
    after: tuple[str, ...] = ()
    enabled: Callable[[object], bool] = lambda study: True


@dataclasses.dataclass(frozen=True)
class StudyKind:
    """What a study kind is made of.

    Attributes:
        name: the ``kind`` of its study files.
        train: ``train(study, root, *, progress, on_skip, on_corrupt)`` trains every unit
            not yet complete, in this process (``progress`` per unit id).
        train_unit: ``train_unit(store, unit_id) -> state`` trains one unit (a Dask task);
            ``None`` when the kind trains in-process only.
        task_of: ``task_of(study, unit_id)``: the task a unit belongs to (``None``: none).
        stages: the analysis stages, each after those it names.
        status: ``status(store) -> DataFrame``: one row per unit for ``rnnpop status``.
        report: ``report(store, path) -> Path``.
        rate: what a training step is worth in the progress bar: (unit name, per step).
    """

    name: str
    train: Callable[..., object]
    train_unit: Callable[..., str] | None
    task_of: Callable[[object, str], str | None]
    stages: tuple[Stage, ...]
    status: Callable[..., object]
    report: Callable[..., object]
    rate: Callable[[object], tuple[str, float]] = lambda study: ("it/s", 1.0)

    def enabled_stages(self, study) -> list[Stage]:
        return [s for s in self.stages if s.enabled(study)]

    def tasks(self, study) -> list[str]:
        return list(dict.fromkeys(t for u in study.units_of_work() if (t := self.task_of(study, u.unit_id))))

    def keys(self, study, stage: Stage) -> list[str | None]:
        """The keys ``stage`` runs for in ``study``."""
        if stage.scope == "unit":
            return [u.unit_id for u in study.units_of_work()]
        if stage.scope == "task":
            return self.tasks(study)
        return [None]


class UntrainedUnitsError(RuntimeError):
    """Analyses asked for while some units are not trained yet."""


def kind_of(study) -> StudyKind:
    """The :class:`StudyKind` of a study (or of a store's study)."""
    from ._universality import IMPORTED, UNIVERSALITY
    from ._vision import VISION

    kinds = {k.name: k for k in (UNIVERSALITY, VISION, IMPORTED)}
    return kinds[getattr(study, "study", study).kind]


def analyse(store, *, progress: Progress | None = None) -> None:
    """Run every enabled stage of the store's study, in order, in this process; stage items
    already complete are skipped, so an interrupted analysis resumes. One process analyses
    a store at a time (a concurrent one waits, then finds the work done)."""
    study = store.study
    kind = kind_of(study)
    missing = [u.unit_id for u in study.units_of_work() if not store.is_complete(u.unit_id)]
    if missing:
        raise UntrainedUnitsError(f"{len(missing)} of {len(study.units_of_work())} units not trained yet "
                                  f"(first: {missing[0]}); train them first: rnnpop run <study file> "
                                  f"--store {store.root}")
    with store.exclusive("stages"):
        for stage in kind.enabled_stages(study):
            keys = kind.keys(study, stage)
            for done, key in enumerate(keys, 1):
                stage.run(store, key, progress)
                if progress is not None:
                    progress(stage.name, done, len(keys))
