"""Representational similarity: SVCCA, linear CKA, Procrustes, and all-pairs distances."""

from ._cka import cka as cka
from ._pairwise import METRICS as METRICS
from ._pairwise import pairwise as pairwise
from ._procrustes import procrustes as procrustes
from ._svcca import svcca as svcca
