"""Scale-out on Dask: a study's groups and analyses as tasks on any Dask cluster."""

from ._cluster import open_client as open_client
from ._cluster import slurm_cluster as slurm_cluster
from ._run import execute_study as execute_study
