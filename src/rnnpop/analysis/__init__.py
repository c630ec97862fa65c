"""Analyses of stored populations: representations, similarity, dynamics, topology, findings."""

from ._dynamics_stage import analyse_dynamics as analyse_dynamics
from ._dynamics_stage import initial_states as initial_states
from ._dynamics_stage import load_dynamics as load_dynamics
from ._embedding import mds as mds
from ._representations import probe_inputs as probe_inputs
from ._representations import representations as representations
from ._stage import analyse_similarity as analyse_similarity
from ._topology_stage import analyse_topology as analyse_topology
from ._topology_stage import context_integration as context_integration
from ._topology_stage import flipflop_topology as flipflop_topology
from ._topology_stage import line_topology as line_topology
from ._topology_stage import sine_frequencies as sine_frequencies
from ._topology_stage import topology_distances as topology_distances
from ._stage import group_states as group_states
from ._stage import load_similarity as load_similarity
from ._stage import stored_similarity as stored_similarity
from ._topology_stage import load_topology as load_topology
from ._findings import Finding as Finding
from ._findings import linear_fit as linear_fit
from ._findings import modal_fraction as modal_fraction
from ._findings import silhouette as silhouette
from ._findings import study_findings as study_findings
from ._findings import trained_untrained_gap as trained_untrained_gap
from ._vision_stage import analyse_vision as analyse_vision
from ._vision_stage import load_vision_summary as load_vision_summary
from ._vision_stage import vision_findings as vision_findings
