"""Study kinds and their orchestration: training into a run store, the analysis stages,
cost estimates; the bundled study files."""

from ._cost import Cost as Cost
from ._cost import estimate as estimate
from ._kind import Stage as Stage
from ._kind import StudyKind as StudyKind
from ._kind import UntrainedUnitsError as UntrainedUnitsError
from ._kind import analyse as analyse
from ._kind import kind_of as kind_of
from ._run import run_study as run_study
from ._units import corrupt_analyses as corrupt_analyses
from ._units import unit_state as unit_state
from ._vision import run_vision_study as run_vision_study
