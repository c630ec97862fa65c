"""rnnpop: train populations of recurrent networks and compare what they compute."""

from . import analysis as analysis
from . import dynamics as dynamics
from . import execute as execute
from . import models as models
from . import plots as plots
from . import report as report
from . import similarity as similarity
from . import store as store
from . import studies as studies
from . import studyfile as studyfile
from . import tasks as tasks
from . import train as train
from . import vision as vision
from .models import Network as Network
from .store import RunStore as RunStore
from .store import load as load
from .studies import run_study as run_study
from .studyfile import Study as Study
from .studyfile import load_study as load_study
from .tasks import ContextIntegration as ContextIntegration
from .tasks import FlipFlop as FlipFlop
from .tasks import SineWave as SineWave
from .train import GroupSpec as GroupSpec
from .train import Hyperparameters as Hyperparameters
from .train import TrainConfig as TrainConfig
from .train import train_group as train_group

__version__ = "0.1.0"
