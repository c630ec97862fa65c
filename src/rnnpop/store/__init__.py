"""The run store: atomic, checksummed, resumable; no pickle anywhere."""

from ._atomic import CorruptGroupError as CorruptGroupError
from ._claims import claim as claim
from ._claims import drop_stale_claim as drop_stale_claim
from ._claims import exclusive as exclusive
from ._claims import remove_leftovers as remove_leftovers
from ._atomic import atomic_directory as atomic_directory
from ._atomic import is_complete as is_complete
from ._atomic import read_manifest as read_manifest
from ._atomic import verify as verify
from ._hardware import hardware as hardware
from ._store import RunStore as RunStore
from ._store import load as load
from ._store import open_store as open_store
from ._vision import HeldOut as HeldOut
from ._vision import VisionStore as VisionStore
