"""Figures of a study: pure functions, data in, matplotlib Figure out (Agg backend)."""

from ._dynamics import eigenvalue_spectra as eigenvalue_spectra
from ._dynamics import fixed_point_graph as fixed_point_graph
from ._dynamics import frequency_response as frequency_response
from ._dynamics import mode_zeroing as mode_zeroing
from ._dynamics import topology_maps as topology_maps
from ._geometry import distance_matrix as distance_matrix
from ._geometry import mds_map as mds_map
from ._geometry import pca as pca
from ._geometry import population_maps as population_maps
from ._geometry import trajectories as trajectories
from ._style import ACTIVATION_COLOURS as ACTIVATION_COLOURS
from ._style import NothingToDraw as NothingToDraw
from ._style import CELL_COLOURS as CELL_COLOURS
from ._training import loss_curves as loss_curves
from ._training import loss_histograms as loss_histograms
from ._vision import accuracy_over_time as accuracy_over_time
from ._vision import continued_evolution as continued_evolution
from ._vision import per_network as per_network
from ._vision import readout_dendrogram as readout_dendrogram
from ._vision import readout_geometry as readout_geometry
from ._vision import stability_profile as stability_profile
from ._vision import training_curves as training_curves
