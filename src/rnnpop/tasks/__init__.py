"""Task generators: each a frozen dataclass with ``sample(batch_size, seed) -> Batch``; and
:class:`ArrayTask`, a user's own trials given as arrays."""

from ._arrays import ArrayTask as ArrayTask
from ._base import Batch as Batch
from ._base import Task as Task
from ._context import ContextIntegration as ContextIntegration
from ._flipflop import FlipFlop as FlipFlop
from ._registry import TASKS as TASKS
from ._registry import make_task as make_task
from ._registry import task_options as task_options
from ._sine import SineWave as SineWave
