"""rnnpop: train populations of recurrent networks and compare what they compute.

``import rnnpop`` is light: each subpackage and name below is imported on first use
(PEP 562), so ``rnnpop --help`` or a script that needs only the similarity metrics does
not pay for JAX, Dask, matplotlib or zarr.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_SUBPACKAGES = ("analysis", "dynamics", "execute", "models", "pipeline", "plots", "report",
                "similarity", "store", "studies", "studyfile", "tasks", "train", "vision")

_NAMES = {
    "Network": "models", "RunStore": "store", "load": "store", "run_study": "studies", "Study": "studyfile",
    "load_study": "studyfile", "ContextIntegration": "tasks", "FlipFlop": "tasks", "SineWave": "tasks",
    "GroupSpec": "train", "Hyperparameters": "train", "TrainConfig": "train", "train_group": "train",
}

__all__ = ["__version__", *_SUBPACKAGES, *_NAMES]


def __getattr__(name: str):
    if name in _SUBPACKAGES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _NAMES:
        return getattr(importlib.import_module(f"{__name__}.{_NAMES[name]}"), name)
    raise AttributeError(f"module 'rnnpop' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
