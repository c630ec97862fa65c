"""Analyses of stored populations: representations, embeddings, the similarity stage."""

from ._dynamics_stage import analyse_dynamics as analyse_dynamics
from ._dynamics_stage import initial_states as initial_states
from ._dynamics_stage import load_dynamics as load_dynamics
from ._embedding import mds as mds
from ._representations import probe_inputs as probe_inputs
from ._representations import representations as representations
from ._stage import analyse_similarity as analyse_similarity
from ._stage import group_states as group_states
from ._stage import load_similarity as load_similarity
