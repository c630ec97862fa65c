"""The study file of an imported population (``kind = "imported"``): networks trained
elsewhere, grouped as their owner says, analysed on one of rnnpop's tasks.

Written by :func:`rnnpop.interop.import_population`; it records what each group is and
how many networks it holds, so the run store reads like one rnnpop trained::

    kind = "imported"
    name = "mylab"
    task = "flipflop"                  # with [tasks.flipflop] options, as in any study;
                                       # or "arrays", the user's own trials: [tasks.arrays] file = "task.npz"
    [[groups]]
    label = "gru-a"                    # the group id is "<task>-<label>"
    cell = "gru_torch"
    activation = "tanh"
    units = 64
    networks = 40
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any, ClassVar

from ..models import ACTIVATION_NAMES, CELL_NAMES
from ..tasks import TASKS, ArrayTask, Task, task_options
from ..train import GroupSpec, TrainConfig
from ._schema import StudyError, check_keys, get_table, non_empty_list, positive_int, unknown_value
from ._study import AnalysisSettings, _analysis, _task

_TOP = ["kind", "name", "seed", "task", "tasks", "groups", "analysis"]
_GROUP = ["label", "cell", "activation", "units", "networks"]
LABEL = re.compile(r"^[A-Za-z0-9_.]+(?:[-][A-Za-z0-9_.]+)*$")


@dataclasses.dataclass(frozen=True)
class ImportedPlan:
    """One imported group: its task, its networks' shape, its owner's label."""

    task: Task
    spec: GroupSpec
    label: str
    n_networks: int

    @property
    def group_id(self) -> str:
        return f"{self.task.name}-{self.label}"

    unit_id = group_id


@dataclasses.dataclass(frozen=True)
class ImportedStudy:
    """A resolved imported population: one task, its groups, the analysis settings."""

    name: str
    seed: int
    tasks: tuple[Task, ...]
    plans: tuple[ImportedPlan, ...]
    analysis: AnalysisSettings = AnalysisSettings()
    train: TrainConfig = TrainConfig()  # the validation batch the networks are scored on
    kind: ClassVar[str] = "imported"
    cluster: ClassVar[None] = None

    def groups(self) -> list[ImportedPlan]:
        return list(self.plans)

    units_of_work = groups

    @property
    def cells(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.spec.cell for p in self.plans))

    @property
    def activations(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p.spec.activation for p in self.plans))

    def to_dict(self) -> dict[str, Any]:
        task = self.tasks[0]
        return {
            "kind": "imported", "name": self.name, "seed": self.seed, "task": task.name,
            "tasks": {task.name: task_options(task)},
            "groups": [{"label": p.label, "cell": p.spec.cell, "activation": p.spec.activation,
                        "units": p.spec.n_units, "networks": p.n_networks} for p in self.plans],
            "analysis": {("similarity" if k == "metrics" else k): (list(v) if isinstance(v, tuple) else v)
                         for k, v in dataclasses.asdict(self.analysis).items() if k != "seed"},
        }

    def training_dict(self) -> dict[str, Any]:
        """What fixes the stored networks (everything but the analysis settings)."""
        return {k: v for k, v in self.to_dict().items() if k != "analysis"}


def parse_imported_study(data: dict[str, Any], *, base: Path | None = None) -> ImportedStudy:
    """Validate an imported study given as a dict; errors name the field (the arrays of a
    user's task, ``[tasks.arrays] file``, are read relative to ``base``)."""
    check_keys(data, _TOP, "")
    name = data.get("name", "imported")
    if not isinstance(name, str) or not name or any(c in name for c in "/\\") or name.startswith("."):
        raise StudyError(f"name must be a non-empty string without '/' or a leading '.', got {name!r}")
    seed = positive_int(data.get("seed", 0), "seed", minimum=0)
    task_name = data.get("task")
    if task_name not in [*TASKS, "arrays"]:
        raise unknown_value("task", task_name, sorted([*TASKS, "arrays"]))
    options = get_table(data, "tasks", "")
    check_keys(options, [task_name], "tasks")
    if task_name == "arrays":
        task = _array_task(get_table(options, "arrays", "tasks"), base)
    else:
        task = _task(task_name, get_table(options, task_name, "tasks"))
    plans = []
    for k, group in enumerate(non_empty_list(data.get("groups"), "groups")):
        where = f"groups[{k}]"
        if not isinstance(group, dict):
            raise StudyError(f"{where} must be a table, got {group!r}")
        check_keys(group, _GROUP, where)
        label = group.get("label")
        if not isinstance(label, str) or not LABEL.match(label):
            raise StudyError(f"{where}.label must be letters, digits, '_', '.' and '-', got {label!r}")
        cell, activation = group.get("cell"), group.get("activation", "tanh")
        if cell not in CELL_NAMES:
            raise unknown_value(f"{where}.cell", cell, list(CELL_NAMES))
        if activation not in ACTIVATION_NAMES:
            raise unknown_value(f"{where}.activation", activation, list(ACTIVATION_NAMES))
        spec = GroupSpec(cell, activation, positive_int(group.get("units"), f"{where}.units"))
        plans.append(ImportedPlan(task, spec, label, positive_int(group.get("networks"), f"{where}.networks")))
    labels = [p.label for p in plans]
    if len(set(labels)) != len(labels):
        raise StudyError(f"groups: labels must differ, got {labels}")
    return ImportedStudy(name=name, seed=seed, tasks=(task,), plans=tuple(plans),
                         analysis=_analysis(get_table(data, "analysis", ""), seed))


def _array_task(options: dict[str, Any], base: Path | None) -> ArrayTask:
    check_keys(options, ["file", "sha256"], "tasks.arrays")
    file = options.get("file")
    if not isinstance(file, str) or not file:
        raise StudyError(f"tasks.arrays.file must name the task's .npz (inputs, targets), got {file!r}")
    try:
        return ArrayTask.load(Path(base or ".") / file, file=file, sha256=options.get("sha256"))
    except ValueError as err:
        raise StudyError(f"tasks.arrays.file: {err}") from None
