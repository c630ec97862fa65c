"""The study file: what to train, resolved and validated before any work starts."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path
from typing import Any, ClassVar

from ..models import ACTIVATION_NAMES, CELL_NAMES
from ..tasks import TASKS, Task, make_task, task_options
from ..train import GroupSpec, SearchSpace, TrainConfig
from ._vision import VisionStudy, parse_vision_study
from ._schema import (StudyError, bounds, check_keys, choice_list, get_table, non_empty_list, number,
                      positive_int, unknown_value)

_TOP = ["kind", "name", "seed", "grid", "search", "train", "tasks", "analysis", "cluster"]
KINDS = ("universality", "vision", "imported")
_CLUSTER = ["kind", "queue", "account", "cores", "processes", "memory", "gpus", "walltime", "jobs",
            "job_directives", "prologue", "log_directory"]
_ANALYSIS = ["similarity", "probe_samples", "variance", "untrained", "lstm_state", "max_relative_loss",
             "min_networks", "dynamics", "n_initial_states", "initial_noise", "q_threshold", "slow_fraction",
             "dsa_delays", "dsa_rank", "dsa_score"]
_GRID = ["tasks", "cells", "activations", "configurations", "units", "l2"]
LSTM_STATES = ("hidden", "full")
_SEARCH = ["n_search", "n_seeds", "clip", "learning_rate", "decay", "momentum"]
_TRAIN = ["n_iterations", "batch_size", "decay_steps", "log_every", "validation_size", "matmul"]


@dataclasses.dataclass(frozen=True)
class GroupPlan:
    """One unit of work: a task and a network shape, with every L2 strength inside."""

    task: Task
    spec: GroupSpec

    @property
    def group_id(self) -> str:
        return f"{self.task.name}-{self.spec.cell}-{self.spec.activation}-{self.spec.n_units}"

    unit_id = group_id


@dataclasses.dataclass(frozen=True)
class ClusterSettings:
    """A ``[cluster]`` section: SLURM jobs started with dask-jobqueue, each job running
    ``processes`` single-threaded workers on ``cores`` cores with ``memory`` and ``gpus``."""

    kind: str = "slurm"
    queue: str | None = None
    account: str | None = None
    cores: int = 8
    processes: int = 8
    memory: str = "32GB"
    gpus: int = 0
    walltime: str = "24:00:00"
    jobs: int = 1
    job_directives: tuple[str, ...] = ()
    prologue: tuple[str, ...] = ()
    log_directory: str | None = None


@dataclasses.dataclass(frozen=True)
class AnalysisSettings:
    """What ``rnnpop analyse`` computes, and on which networks.

    The analysed networks are the seed networks that did not diverge and whose
    validation loss is at most ``max_relative_loss`` × the task's constant-output loss
    (5 %: they explain at least 95 % of the targets' variance); the others are set
    aside, with the reason, and a configuration with fewer than ``min_networks`` left
    is reported as not testable.

    Similarity ``metrics`` (distances between the representations of every analysed
    network of a task, plus MDS) are computed on the task's probe (``probe_samples``
    trial×time samples at least, every condition covered), SVCCA keeping
    ``variance``, with the same networks untrained too when ``untrained``; an LSTM's
    representation is its hidden state h (``lstm_state = "hidden"``, the vector the
    readout sees, as large as every other cell's) or [h; c] (``"full"``). With
    ``dynamics``, fixed points are sought from ``n_initial_states`` states on each
    network's probe trajectories plus ``initial_noise`` × the units' spread (512 and
    1.0 find 99 % of what a 3,072-start search finds on the demo's flip-flop networks:
    ``benchmarks/fixed_point_recall.py``); a point
    is exact where q <= ``q_threshold`` and slow (kept too, as in the paper) where, at
    its speed, one trial would move the state by at most ``slow_fraction`` of the
    trajectories' RMS spread. The ``"dsa"`` metric (Dynamical Similarity Analysis) fits
    each network's probe trajectories with ``dsa_delays`` delays and a rank-``dsa_rank``
    HAVOK operator and scores pairs with ``dsa_score`` ("angular" or "wasserstein")."""

    metrics: tuple[str, ...] = ("svcca", "cka")
    probe_samples: int = 2000
    variance: float = 0.95
    untrained: bool = True
    lstm_state: str = "hidden"
    max_relative_loss: float = 0.05
    min_networks: int = 3
    dynamics: bool = True
    n_initial_states: int = 512
    initial_noise: float = 1.0
    q_threshold: float = 1e-10
    dsa_delays: int = 10
    dsa_rank: int = 20
    dsa_score: str = "angular"
    slow_fraction: float = 0.05
    seed: int = 0


@dataclasses.dataclass(frozen=True)
class Study:
    """A resolved study: the grid, the search, the training recipe and the task options.

    Per configuration (cell, activation, units, l2) ``n_search`` hyperparameter draws
    are trained and the best by validation loss is kept; then ``n_seeds`` seeds are
    trained with it. Every network of one (task, cell, activation, units) is one group.
    """

    name: str
    seed: int
    tasks: tuple[Task, ...]
    configurations: tuple[tuple[str, str], ...]  # (cell, activation)
    units: tuple[int, ...]
    l2: tuple[float, ...]
    n_search: int
    n_seeds: int
    search: SearchSpace
    train: TrainConfig
    analysis: AnalysisSettings = AnalysisSettings()
    cluster: ClusterSettings | None = None

    kind: ClassVar[str] = "universality"

    def groups(self) -> list[GroupPlan]:
        return [GroupPlan(task, GroupSpec(cell, act, n))
                for task in self.tasks for cell, act in self.configurations for n in self.units]

    def units_of_work(self) -> list[GroupPlan]:
        """What is trained, each written to the store as one unit: the groups."""
        return self.groups()

    @property
    def cells(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(cell for cell, _ in self.configurations))

    @property
    def activations(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(act for _, act in self.configurations))

    @property
    def networks_per_group(self) -> int:
        return len(self.l2) * (self.n_search + self.n_seeds)

    def to_dict(self) -> dict[str, Any]:
        """The canonical form written to ``study.toml`` (every default made explicit)."""
        train = {k: v for k, v in dataclasses.asdict(self.train).items()
                 if k in _TRAIN and v is not None}
        return {
            "name": self.name, "seed": self.seed,
            "grid": {"tasks": [t.name for t in self.tasks],
                     "configurations": [f"{cell}-{act}" for cell, act in self.configurations],
                     "units": list(self.units), "l2": list(self.l2)},
            "search": {"n_search": self.n_search, "n_seeds": self.n_seeds,
                       **{k: list(v) for k, v in dataclasses.asdict(self.search).items()}},
            "train": train,
            "tasks": {t.name: task_options(t)
                      for t in self.tasks},
            "analysis": {("similarity" if k == "metrics" else k): (list(v) if isinstance(v, tuple) else v)
                         for k, v in dataclasses.asdict(self.analysis).items() if k != "seed"},
            **({"cluster": {k: (list(v) if isinstance(v, tuple) else v)
                            for k, v in dataclasses.asdict(self.cluster).items() if v is not None}}
               if self.cluster is not None else {}),
        }

    def training_dict(self) -> dict[str, Any]:
        """The part of :meth:`to_dict` that determines the trained networks."""
        return {k: v for k, v in self.to_dict().items() if k not in ("analysis", "cluster")}


def load_study(path: str | Path) -> Study:
    """Read and validate a study file; raises :class:`StudyError` naming the bad field."""
    path = Path(path)
    if not path.is_file():
        raise StudyError(f"study file not found: {path}")
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as err:
        raise StudyError(f"{path} is not valid TOML: {err}") from None
    return parse_study(data, base=path.parent)


def parse_study(data: dict[str, Any], *, base: Path | None = None) -> "Study | VisionStudy":
    """Validate a study given as a dict (the parsed TOML): a universality study, or a
    vision study when ``kind = "vision"`` (relative data paths are taken from ``base``)."""
    kind = data.get("kind", "universality")
    if kind not in KINDS:
        raise unknown_value("kind", kind, KINDS)
    if kind == "vision":
        return parse_vision_study(data, base=base)
    if kind == "imported":
        from ._imported import parse_imported_study

        return parse_imported_study(data, base=base)
    check_keys(data, _TOP, "")
    name = data.get("name", "study")
    if not isinstance(name, str) or not name or any(c in name for c in "/\\") or name.startswith("."):
        raise StudyError(f"name must be a non-empty string without '/' or a leading '.', got {name!r}")
    seed = positive_int(data.get("seed", 0), "seed", minimum=0)
    grid, search, train = (get_table(data, k, "") for k in ("grid", "search", "train"))
    check_keys(grid, _GRID, "grid")
    check_keys(search, _SEARCH, "search")
    check_keys(train, _TRAIN, "train")
    task_names = choice_list(grid.get("tasks", list(TASKS)), "grid.tasks", sorted(TASKS))
    options = get_table(data, "tasks", "")
    check_keys(options, list(task_names), "tasks")
    return Study(
        name=name, seed=seed,
        tasks=tuple(_task(n, get_table(options, n, "tasks")) for n in task_names),
        configurations=_configurations(grid),
        units=tuple(dict.fromkeys(positive_int(u, "grid.units") for u in non_empty_list(grid.get("units", [64, 128, 256]), "grid.units"))),
        l2=tuple(dict.fromkeys(number(v, "grid.l2", low=0.0) for v in non_empty_list(grid.get("l2", [1e-5, 1e-4, 1e-3, 1e-2]), "grid.l2"))),
        n_search=positive_int(search.get("n_search", 8), "search.n_search"),
        n_seeds=positive_int(search.get("n_seeds", 30), "search.n_seeds"),
        search=_search_space(search),
        train=_train_config(train),
        analysis=_analysis(get_table(data, "analysis", ""), seed),
        cluster=_cluster(get_table(data, "cluster", "")) if "cluster" in data else None,
    )


PAPER_CELLS = ("vanilla", "ugrnn", "gru", "lstm")
"""The paper's four cells: the default grid (``gru_torch``, PyTorch's GRU, is there for imports)."""


def _configurations(grid: dict) -> tuple[tuple[str, str], ...]:
    """``grid.configurations`` ("cell-activation" names), or every cell × activation."""
    if "configurations" not in grid:
        cells = choice_list(grid.get("cells", list(PAPER_CELLS)), "grid.cells", list(CELL_NAMES))
        activations = choice_list(grid.get("activations", list(ACTIVATION_NAMES)), "grid.activations", list(ACTIVATION_NAMES))
        return tuple((c, a) for c in cells for a in activations)
    allowed = [f"{c}-{a}" for c in CELL_NAMES for a in ACTIVATION_NAMES]
    names = choice_list(grid["configurations"], "grid.configurations", allowed)
    both = [k for k in ("cells", "activations") if k in grid]
    if both:
        raise StudyError(f"grid.configurations replaces grid.{both[0]}; give one or the other")
    return tuple(tuple(name.split("-")) for name in names)


def _cluster(section: dict) -> ClusterSettings:
    check_keys(section, _CLUSTER, "cluster")
    kind = section.get("kind", "slurm")
    if kind != "slurm":
        raise unknown_value("cluster.kind", kind, ["slurm"])
    strings = {}
    for key in ("queue", "account", "memory", "walltime", "log_directory"):
        if key in section:
            if not isinstance(section[key], str) or not section[key]:
                raise StudyError(f"cluster.{key} must be a non-empty string, got {section[key]!r}")
            strings[key] = section[key]
    log = strings.get("log_directory")
    if log is not None and (log.startswith(("/", "~")) or ".." in Path(log).parts):
        raise StudyError(f"cluster.log_directory must be a path inside the run directory (relative, no '..'), "
                         f"got {log!r}")
    lists = {}
    for key in ("job_directives", "prologue"):
        value = section.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise StudyError(f"cluster.{key} must be a list of strings, got {value!r}")
        lists[key] = tuple(value)
    cores = positive_int(section.get("cores", 8), "cluster.cores")
    return ClusterSettings(
        kind=kind, cores=cores, processes=positive_int(section.get("processes", cores), "cluster.processes"),
        gpus=positive_int(section.get("gpus", 0), "cluster.gpus", minimum=0),
        jobs=positive_int(section.get("jobs", 1), "cluster.jobs"), **strings, **lists)


def _dsa_score(value) -> str:
    from ..similarity._dsa import SCORES

    if value not in SCORES:
        raise unknown_value("analysis.dsa_score", value, SCORES)
    return value


def _analysis(section: dict, seed: int) -> AnalysisSettings:
    from ..similarity import METRICS

    check_keys(section, _ANALYSIS, "analysis")
    for flag in ("untrained", "dynamics"):
        if not isinstance(section.get(flag, True), bool):
            raise StudyError(f"analysis.{flag} must be true or false, got {section[flag]!r}")
    default = AnalysisSettings()
    lstm_state = section.get("lstm_state", default.lstm_state)
    if lstm_state not in LSTM_STATES:
        raise unknown_value("analysis.lstm_state", lstm_state, LSTM_STATES)
    return AnalysisSettings(
        metrics=choice_list(section.get("similarity", list(default.metrics)), "analysis.similarity",
                            [*METRICS, "dsa"]),
        dsa_delays=positive_int(section.get("dsa_delays", default.dsa_delays), "analysis.dsa_delays"),
        dsa_rank=positive_int(section.get("dsa_rank", default.dsa_rank), "analysis.dsa_rank"),
        dsa_score=_dsa_score(section.get("dsa_score", default.dsa_score)),
        probe_samples=positive_int(section.get("probe_samples", default.probe_samples), "analysis.probe_samples"),
        variance=number(section.get("variance", default.variance), "analysis.variance", low=0.0, low_open=True,
                        high=1.0),
        untrained=section.get("untrained", True), lstm_state=lstm_state,
        max_relative_loss=number(section.get("max_relative_loss", default.max_relative_loss),
                                 "analysis.max_relative_loss", low=0.0, low_open=True),
        min_networks=positive_int(section.get("min_networks", default.min_networks), "analysis.min_networks",
                                  minimum=2),
        dynamics=section.get("dynamics", True),
        n_initial_states=positive_int(section.get("n_initial_states", default.n_initial_states),
                                      "analysis.n_initial_states"),
        initial_noise=number(section.get("initial_noise", default.initial_noise), "analysis.initial_noise", low=0.0),
        q_threshold=number(section.get("q_threshold", default.q_threshold), "analysis.q_threshold", low=0.0,
                           low_open=True),
        slow_fraction=number(section.get("slow_fraction", default.slow_fraction), "analysis.slow_fraction",
                             low=0.0),
        seed=seed,
    )


def _task(name: str, options: dict) -> Task:
    try:
        return make_task(name, **options)
    except (TypeError, ValueError) as err:
        raise StudyError(f"tasks.{name}: {err}") from None


def _search_space(search: dict) -> SearchSpace:
    default = SearchSpace()
    return SearchSpace(
        clip=bounds(search.get("clip", list(default.clip)), "search.clip", positive=True),
        learning_rate=bounds(search.get("learning_rate", list(default.learning_rate)), "search.learning_rate", positive=True),
        decay=bounds(search.get("decay", list(default.decay)), "search.decay", positive=True, high=1.0),
        momentum=bounds(search.get("momentum", list(default.momentum)), "search.momentum", positive=False, high=1.0),
    )


def _train_config(train: dict) -> TrainConfig:
    values = {k: v if k == "matmul" else positive_int(v, f"train.{k}") for k, v in train.items()}
    try:
        return TrainConfig(**values)
    except ValueError as err:
        raise StudyError(str(err)) from None
