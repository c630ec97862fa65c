"""Bring your own networks: PyTorch and NumPy weights in and out, and a population of
them as a run store (:func:`import_population`) that ``rnnpop analyse`` and ``rnnpop
report`` read like one rnnpop trained."""

from ._npz import from_npz as from_npz
from ._npz import to_npz as to_npz
from ._population import import_population as import_population
from ._torch import from_torch as from_torch
from ._torch import load_torch as load_torch
from ._torch import to_torch as to_torch
