"""The paper's recipe for one group: random search per L2 strength, then seeds."""

from __future__ import annotations

import dataclasses

import jax
import numpy as np
import pandas as pd

from ..tasks import Task
from ._config import GroupSpec, TrainConfig
from ._hyper import Hyperparameters, SearchSpace, derive_seed
from .._progress import Progress
from ._population import GroupResult, constant_baseline, train_group


@dataclasses.dataclass(frozen=True)
class SearchPlan:
    """How many draws and seeds per L2 strength, from which ranges, under which seed."""

    l2: tuple[float, ...]
    n_search: int
    n_seeds: int
    space: SearchSpace = SearchSpace()
    seed: int = 0


def search_and_train(task: Task, spec: GroupSpec, plan: SearchPlan, config: TrainConfig, *,
                     group_id: str, progress: Progress | None = None) -> tuple[GroupResult, pd.DataFrame]:
    """Train the search draws of every L2 strength together, keep the best by
    validation loss, then train ``n_seeds`` fresh seeds with it.

    ``progress`` counts both phases: ``2 · n_iterations`` iterations in all.

    Returns the concatenated result (search networks first, then seeds) and a table
    with one row per network: ``phase`` ('search' | 'seed'), ``replicate``, the
    hyperparameters, losses, ``status`` ('ok' | 'diverged': non-finite during training, or a
    validation loss above :data:`EXPLODED` × the best constant output's) and ``selected``
    (the search draw whose hyperparameters the seeds use).
    """
    search_hp = Hyperparameters.concatenate([
        _search_draws(plan, group_id, i, l2) for i, l2 in enumerate(plan.l2)])
    search = train_group(task, spec, search_hp, config, progress=_phase(progress, 0, config.n_iterations))
    best = _best_per_l2(search.validation_loss, len(plan.l2), plan.n_search)
    seeds_hp = Hyperparameters.concatenate([
        _seed_copies(search_hp.select(np.array([b])), plan, group_id, i) for i, b in enumerate(best)])
    seeds = train_group(task, spec, seeds_hp, config, progress=_phase(progress, 1, config.n_iterations))
    result = _concatenate(search, seeds)
    selected = np.zeros(len(search_hp), bool)
    selected[best] = True
    table = pd.concat([_rows(search, "search", plan.n_search, selected),
                       _rows(seeds, "seed", plan.n_seeds, np.zeros(len(seeds_hp), bool))], ignore_index=True)
    table.insert(0, "network", np.arange(len(table)))
    table["baseline_loss"] = constant_baseline(task, config)
    return result, mark_exploded(table)


EXPLODED = 1e3
"""A network whose validation loss exceeds this multiple of the constant-output baseline
has blown up (finite but useless, e.g. relu LSTMs at 1e30): it is counted as diverged."""


def mark_exploded(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with ``status`` = 'diverged' where ``validation_loss`` is not below
    :data:`EXPLODED` × ``baseline_loss`` (NaN included)."""
    exploded = ~(table.validation_loss <= EXPLODED * table.baseline_loss)
    return table.assign(status=np.where(exploded, "diverged", table.status))


def _phase(progress: Progress | None, phase: int, n_iterations: int) -> Progress | None:
    if progress is None:
        return None
    step = ("search", "seeds")[phase]
    return lambda _step, done, _total, **values: progress(step, phase * n_iterations + done, 2 * n_iterations,
                                                           **values)


def _search_draws(plan: SearchPlan, group_id: str, index: int, l2: float) -> Hyperparameters:
    draws = plan.space.draw(plan.n_search, seed=derive_seed(plan.seed, group_id, "search", index))
    seeds = [derive_seed(plan.seed, group_id, "search-net", index, k) for k in range(plan.n_search)]
    return Hyperparameters(**draws, l2=np.full(plan.n_search, l2), seed=seeds)


def _seed_copies(best: Hyperparameters, plan: SearchPlan, group_id: str, index: int) -> Hyperparameters:
    copies = best.select(np.zeros(plan.n_seeds, int))
    seeds = [derive_seed(plan.seed, group_id, "seed-net", index, k) for k in range(plan.n_seeds)]
    return dataclasses.replace(copies, seed=np.asarray(seeds, np.uint32))


def _best_per_l2(validation: np.ndarray, n_l2: int, n_search: int) -> np.ndarray:
    """Index of the lowest finite validation loss within each L2 block (diverged last)."""
    score = np.where(np.isfinite(validation), validation, np.inf).reshape(n_l2, n_search)
    return np.argmin(score, axis=1) + np.arange(n_l2) * n_search


def _concatenate(a: GroupResult, b: GroupResult) -> GroupResult:
    def cat(x, y):
        return jax.tree_util.tree_map(lambda u, v: np.concatenate([np.asarray(u), np.asarray(v)]), x, y)

    return GroupResult(
        networks=cat(a.networks, b.networks), untrained=cat(a.untrained, b.untrained),
        hyperparameters=Hyperparameters.concatenate([a.hyperparameters, b.hyperparameters]),
        train_loss=np.concatenate([a.train_loss, b.train_loss]),
        validation_loss=np.concatenate([a.validation_loss, b.validation_loss]),
        curves=np.concatenate([a.curves, b.curves]), diverged=np.concatenate([a.diverged, b.diverged]),
        seconds=a.seconds + b.seconds,
    )


def _rows(result: GroupResult, phase: str, per_l2: int, selected: np.ndarray) -> pd.DataFrame:
    n = len(result.train_loss)
    hp = result.hyperparameters.as_dict()
    return pd.DataFrame({
        "phase": phase, "replicate": np.arange(n) % per_l2,
        **{k: hp[k] for k in ("l2", "seed", "learning_rate", "decay", "momentum", "clip")},
        "train_loss": result.train_loss, "validation_loss": result.validation_loss,
        "status": np.where(result.diverged, "diverged", "ok"), "selected": selected,
    })
