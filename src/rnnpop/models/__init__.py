"""Recurrent cells (one example each) and the unrolled network with a linear readout.

The name tables load without JAX; the cells load on first use.
"""

from typing import TYPE_CHECKING

from .._lazy import lazy_getattr
from ._names import ACTIVATION_NAMES as ACTIVATION_NAMES
from ._names import CELL_NAMES as CELL_NAMES

if TYPE_CHECKING:
    from ._cells import ACTIVATIONS as ACTIVATIONS
    from ._cells import CELLS as CELLS
    from ._cells import GRU as GRU
    from ._cells import LSTM as LSTM
    from ._cells import TorchGRU as TorchGRU
    from ._cells import UGRNN as UGRNN
    from ._cells import Vanilla as Vanilla
    from ._network import Network as Network

__getattr__ = lazy_getattr(__name__, {
    "ACTIVATIONS": "._cells", "CELLS": "._cells", "GRU": "._cells", "LSTM": "._cells", "TorchGRU": "._cells",
    "UGRNN": "._cells", "Vanilla": "._cells", "Network": "._network"})
