"""Where the Dask tasks run: a LocalCluster, a running scheduler, or SLURM jobs."""

from __future__ import annotations

import contextlib
import logging
import os
from typing import Iterator

from distributed.diagnostics.plugin import WorkerPlugin

from ..studyfile import ClusterSettings
from ..train._devices import single_thread_flags

JAX_PLATFORMS = {"cpu": "cpu", "gpu": "cuda"}
"""``--device`` value → the ``JAX_PLATFORMS`` it sets."""

WORKER_CONFIG = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}
"""Dask configuration for the workers rnnpop starts. Dask's nannies start workers with
``MALLOC_TRIM_THRESHOLD_=65536``, which turns off glibc's adaptive allocation thresholds:
XLA's step buffers are then mapped and unmapped on every step, and training runs ~20 %
slower (``benchmarks/worker_malloc.py``). ``None`` leaves the variable unset."""


@contextlib.contextmanager
def _worker_environment(device: str | None) -> Iterator[None]:
    """Environment that spawned worker processes inherit: single-threaded XLA,
    ``JAX_PLATFORMS`` when a device is forced, and :data:`WORKER_CONFIG` for their nannies."""
    import dask

    saved = {k: os.environ.get(k) for k in ("XLA_FLAGS", "JAX_PLATFORMS")}
    os.environ["XLA_FLAGS"] = single_thread_flags(os.environ.get("XLA_FLAGS", ""))
    if device is not None:
        os.environ["JAX_PLATFORMS"] = JAX_PLATFORMS[device]
    try:
        with dask.config.set(WORKER_CONFIG):
            yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def gpu_count() -> int:
    """GPUs that ``nvidia-smi`` lists (0 without it), counted without initialising JAX."""
    import shutil
    import subprocess

    if not shutil.which("nvidia-smi"):
        return 0
    try:
        out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return 0
    return sum(line.startswith("GPU ") for line in out.splitlines())


class OneGpuPerWorker(WorkerPlugin):
    """Worker plugin: worker k of a LocalCluster sees only GPU k mod ``n_gpus`` (set
    before the worker's first JAX computation, so each JAX process owns one GPU)."""

    name = "rnnpop-one-gpu-per-worker"

    def __init__(self, n_gpus: int):
        super().__init__()
        self.n_gpus = n_gpus

    def setup(self, worker) -> None:
        os.environ["CUDA_VISIBLE_DEVICES"] = str(int(worker.name) % self.n_gpus)


def pin_process(cpus: set[int]) -> None:
    """Restrict every thread of this process (and the threads they start later) to ``cpus``."""
    for tid in os.listdir("/proc/self/task") if os.path.isdir("/proc/self/task") else []:
        try:
            os.sched_setaffinity(int(tid), cpus)
        except OSError:  # a thread that ended meanwhile
            pass


class OneCorePerWorker(WorkerPlugin):
    """Worker plugin: worker k of a LocalCluster runs on core ``cores[k mod len(cores)]``
    only (PERF-NOTES measured its 2× with each single-threaded process pinned to a core)."""

    name = "rnnpop-one-core-per-worker"

    def __init__(self, cores: list[int]):
        super().__init__()
        self.cores = cores

    def setup(self, worker) -> None:
        pin_process({self.cores[int(worker.name) % len(self.cores)]})


def slurm_cluster(settings: ClusterSettings, root: str | os.PathLike = "."):
    """A dask-jobqueue ``SLURMCluster`` for ``settings`` (not yet scaled); worker logs go
    to ``log_directory`` inside the run directory ``root``."""
    from dask.config import serialize
    from dask_jobqueue import SLURMCluster

    directives = list(settings.job_directives)
    if settings.gpus:
        directives.append(f"--gres=gpu:{settings.gpus}")
    inherited = {}  # WORKER_CONFIG as the nested mapping the remote workers' Dask merges into its own
    for key, value in WORKER_CONFIG.items():
        *path, last = key.split(".")
        node = inherited
        for part in path:
            node = node.setdefault(part, {})
        node[last] = value
    return SLURMCluster(
        queue=settings.queue, account=settings.account, cores=settings.cores, processes=settings.processes,
        memory=settings.memory, walltime=settings.walltime, job_extra_directives=directives,
        job_script_prologue=[*settings.prologue, f"export DASK_INTERNAL_INHERIT_CONFIG={serialize(inherited)}"],
        worker_extra_args=["--nthreads", "1"],
        log_directory=None if settings.log_directory is None else os.path.join(root, settings.log_directory),
    )


@contextlib.contextmanager
def open_client(*, workers: int | None = None, scheduler: str | None = None,
                cluster: ClusterSettings | None = None, device: str | None = None, root: str = "."):
    """A Dask client: attached to ``scheduler`` (an address), on SLURM jobs for
    ``cluster``, or on a ``LocalCluster`` of ``workers`` single-threaded processes."""
    from distributed import Client, LocalCluster

    if device is not None and device not in JAX_PLATFORMS:
        raise ValueError(f"device must be one of {list(JAX_PLATFORMS)}, got {device!r}")
    with _worker_environment(device):
        if scheduler is not None:
            with Client(scheduler) as client:
                yield client
        elif cluster is not None:
            with slurm_cluster(cluster, root) as jobs:
                jobs.scale(jobs=cluster.jobs)
                with Client(jobs) as client:
                    yield client
        else:
            gpus = gpu_count() if device == "gpu" else 0
            if device == "gpu" and gpus == 0:
                raise RuntimeError("--device gpu: no GPU found (nvidia-smi lists none)")
            n = workers or gpus or len(os.sched_getaffinity(0))
            with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                              silence_logs=logging.ERROR) as local, Client(local) as client:
                if gpus:
                    client.register_plugin(OneGpuPerWorker(gpus))
                elif n <= len(os.sched_getaffinity(0)):
                    client.register_plugin(OneCorePerWorker(sorted(os.sched_getaffinity(0))))
                yield client
