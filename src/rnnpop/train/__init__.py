"""Population training: per-network hyperparameters, the group trainer, random search.

The configuration loads without JAX; the trainer loads on first use.
"""

from typing import TYPE_CHECKING

from .._lazy import lazy_getattr
from ._config import GroupSpec as GroupSpec
from ._config import TrainConfig as TrainConfig
from ._hyper import Hyperparameters as Hyperparameters
from ._hyper import SearchSpace as SearchSpace

if TYPE_CHECKING:
    from ._devices import configure_cpu as configure_cpu
    from ._population import GroupResult as GroupResult
    from ._population import constant_baseline as constant_baseline
    from ._population import init_networks as init_networks
    from ._population import train_group as train_group
    from ._search import SearchPlan as SearchPlan
    from ._search import search_and_train as search_and_train

__getattr__ = lazy_getattr(__name__, {
    "configure_cpu": "._devices", "GroupResult": "._population", "constant_baseline": "._population",
    "init_networks": "._population", "train_group": "._population", "SearchPlan": "._search",
    "search_and_train": "._search"})
