"""Recurrent cells (one example each) and the unrolled network with a linear readout."""

from ._cells import ACTIVATIONS as ACTIVATIONS
from ._cells import CELLS as CELLS
from ._cells import GRU as GRU
from ._cells import LSTM as LSTM
from ._cells import TorchGRU as TorchGRU
from ._cells import UGRNN as UGRNN
from ._cells import Vanilla as Vanilla
from ._network import Network as Network
