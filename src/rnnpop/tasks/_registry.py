"""Task names as they appear in study files."""

from __future__ import annotations

import dataclasses
from typing import Any

from ._context import ContextIntegration
from ._flipflop import FlipFlop
from ._sine import SineWave

TASKS = {"flipflop": FlipFlop, "sine": SineWave, "context": ContextIntegration}


def make_task(name: str, **options: Any):
    """Build the task called ``name`` with ``options``; errors name the bad field."""
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; allowed: {sorted(TASKS)}")
    cls = TASKS[name]
    allowed = [f.name for f in dataclasses.fields(cls) if f.init]
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise ValueError(f"unknown option(s) {unknown} for task {name!r}; allowed: {allowed}")
    defaults = {f.name: f.default for f in dataclasses.fields(cls) if f.init}
    for key, value in options.items():
        _check_type(f"{name}.{key}", value, defaults[key])
    return cls(**options)


def _check_type(field: str, value: Any, default: Any) -> None:
    """``value`` has the type of ``default`` (an int is a float too; a bool is neither)."""
    kind = type(default)
    ok = (isinstance(value, bool) if kind is bool else
          not isinstance(value, bool) and isinstance(value, (int, float) if kind is float else kind))
    if not ok:
        words = {bool: "true or false", int: "an integer", float: "a number"}
        raise ValueError(f"{field} must be {words.get(kind, kind.__name__)}, got {value!r}")


def task_options(task) -> dict[str, Any]:
    """What a study file records of ``task`` under ``[tasks.<name>]``."""
    if hasattr(task, "study_options"):
        return task.study_options()
    return {f.name: getattr(task, f.name) for f in dataclasses.fields(task) if f.init}
