"""The study file: parsed and validated once, before any work starts."""

from ._schema import StudyError as StudyError
from ._imported import ImportedPlan as ImportedPlan
from ._imported import ImportedStudy as ImportedStudy
from ._study import AnalysisSettings as AnalysisSettings
from ._study import ClusterSettings as ClusterSettings
from ._study import GroupPlan as GroupPlan
from ._study import Study as Study
from ._study import load_study as load_study
from ._study import parse_study as parse_study
from ._vision import ModelPlan as ModelPlan
from ._vision import VisionData as VisionData
from ._vision import VisionModels as VisionModels
from ._vision import VisionStudy as VisionStudy
from ._vision import VisionTraining as VisionTraining
from ._vision import parse_vision_study as parse_vision_study
