"""The run store: atomic, checksummed, resumable; no pickle anywhere."""

from ._atomic import CorruptGroupError as CorruptGroupError
from ._store import RunStore as RunStore
from ._store import load as load
