"""Orchestration: running a study into a run store; the bundled study files."""

from ._run import run_study as run_study
from ._vision import run_vision_study as run_vision_study
