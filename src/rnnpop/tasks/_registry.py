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
    return cls(**options)
