"""Representational similarity: SVCCA, linear CKA, Procrustes, and all-pairs distances."""

from ._cka import cka as cka
from ._dsa import dsa_distances as dsa_distances
from ._dsa import havok_operator as havok_operator
from ._dsa import operator_distances as operator_distances
from ._pairwise import METRICS as METRICS
from ._pairwise import pairwise as pairwise
from ._procrustes import procrustes as procrustes
from ._svcca import svcca as svcca
