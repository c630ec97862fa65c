"""The run store: atomic, checksummed, resumable; no pickle anywhere.

Public: the stores and how to open them. The atomic writes, checksums and claims they are
built on live in private modules (``_atomic``, ``_claims``) for rnnpop's own stages.
"""

from ._atomic import CorruptGroupError as CorruptGroupError
from ._store import RunStore as RunStore
from ._store import is_run_store as is_run_store
from ._store import load as load
from ._store import open_store as open_store
from ._vision import HeldOut as HeldOut
from ._vision import VisionStore as VisionStore
