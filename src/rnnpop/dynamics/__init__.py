"""Dynamics: fixed points of any step function, their linearisation, transition graphs."""

from ._fixed_points import FixedPoints as FixedPoints
from ._fixed_points import find_fixed_points as find_fixed_points
from ._linearise import eigen_decomposition as eigen_decomposition
from ._linearise import jacobians as jacobians
from ._transitions import transition_graph as transition_graph
