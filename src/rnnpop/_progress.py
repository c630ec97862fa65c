"""The one progress protocol of rnnpop: every long computation reports through it."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """``progress(step, done, total, **values)``: ``done`` of ``total`` units of the work
    named ``step`` are finished; ``values`` are running figures (e.g. ``loss=0.12``)."""

    def __call__(self, step: str, done: int, total: int, /, **values: float) -> None: ...
