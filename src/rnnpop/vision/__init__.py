"""Representation dynamics in recurrent vision networks (Thorat, Doerig & Kietzmann, CCN 2023).

The BLT models (with the import of the reference PyTorch weights); the MiniEcoset reader and an
offline stand-in data set; training (:func:`fit`) and held-out responses (:func:`responses`);
the analyses as functions of arrays (predictions, pooled representations, readout weights) from
any model, gathered per network by :func:`summarise`. A study file with ``kind = "vision"`` runs
it all (``rnnpop run``; :func:`rnnpop.studies.run_vision_study`).
"""

from ._analysis import StabilitySplit as StabilitySplit
from ._analysis import accuracy_per_step as accuracy_per_step
from ._analysis import analysed_groups as analysed_groups
from ._analysis import continued_evolution as continued_evolution
from ._analysis import future_class_alignment as future_class_alignment
from ._analysis import norms_by_stability as norms_by_stability
from ._analysis import readout_linkage as readout_linkage
from ._analysis import stability_split as stability_split
from ._analysis import step_sizes as step_sizes
from ._analysis import winning_cosine as winning_cosine
from ._miniecoset import MiniEcoset as MiniEcoset
from ._blt import BLT as BLT
from ._blt import BLTConfig as BLTConfig
from ._blt import INTERACTIONS as INTERACTIONS
from ._blt import VARIANTS as VARIANTS
from ._blt import blt_loss as blt_loss
from ._standin import standin_dataset as standin_dataset
from ._torch_import import blt_from_state_dict as blt_from_state_dict
from ._torch_import import load_torch_blt as load_torch_blt
from ._train import augment as augment
from ._train import make_train_step as make_train_step
from ._data import ImageSet as ImageSet
from ._data import load_images as load_images
from ._fit import fit as fit
from ._fit import responses as responses
from ._summary import QUANTITIES as QUANTITIES
from ._summary import summarise as summarise
