"""Dynamics: fixed points of any step function, their linearisation, transition graphs,
and the attractors (stable fixed points and cycles) that its iterates settle on."""

from ._attractors import Attractors as Attractors
from ._attractors import find_attractors as find_attractors
from ._attractors import find_population_attractors as find_population_attractors
from ._fixed_points import FixedPoints as FixedPoints
from ._fixed_points import find_fixed_points as find_fixed_points
from ._fixed_points import find_population_fixed_points as find_population_fixed_points
from ._fixed_points import slow_q as slow_q
from ._linearise import eigen_decomposition as eigen_decomposition
from ._linearise import jacobians as jacobians
from ._linear import count_near_one as count_near_one
from ._linear import mode_zeroing_integration as mode_zeroing_integration
from ._linear import oscillation_frequency as oscillation_frequency
from ._topology import graph_distance as graph_distance
from ._topology import matched_graph_distance as matched_graph_distance
from ._topology import nearest_neighbour_graph as nearest_neighbour_graph
from ._topology import readout_order as readout_order
from ._topology import snap as snap
from ._transitions import transition_graph as transition_graph
