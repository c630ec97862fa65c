"""Population training: per-network hyperparameters, the group trainer, random search."""

from ._config import GroupSpec as GroupSpec
from ._config import TrainConfig as TrainConfig
from ._devices import configure_cpu as configure_cpu
from ._hyper import Hyperparameters as Hyperparameters
from ._hyper import SearchSpace as SearchSpace
from ._hyper import derive_seed as derive_seed
from ._optim import make_optimizer as make_optimizer
from ._optim import weight_penalty as weight_penalty
from ._population import GroupResult as GroupResult
from ._population import constant_baseline as constant_baseline
from ._population import init_networks as init_networks
from ._population import network_skeleton as network_skeleton
from ._population import masked_mse as masked_mse
from ._population import train_group as train_group
from ._search import SearchPlan as SearchPlan
from ._search import search_and_train as search_and_train
