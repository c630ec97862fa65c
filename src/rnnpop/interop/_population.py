"""A population of networks trained elsewhere, as a run store: nothing re-trained."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Mapping, Sequence

import jax
import numpy as np
import pandas as pd

from ..models import Network
from ..models._cells import cell_name


@dataclasses.dataclass(frozen=True)
class _Imported:
    """What :meth:`RunStore.write_group` stores for an imported group."""

    networks: Network
    untrained: Network
    curves: np.ndarray
    seconds: float


def _shape(net: Network) -> tuple[str, str, int, int, int]:
    return cell_name(net.cell), net.cell.activation, net.cell.n_units, net.cell.w_x.shape[-1], net.w_out.shape[0]


def import_population(root: str | Path, groups: Mapping[str, Sequence[Network]], task, *, name: str = "imported",
                      seed: int = 0, analysis: Mapping | None = None):
    """Write the networks of ``groups`` (label → networks of one cell, activation and width)
    as a run store at ``root`` for ``task`` (an rnnpop task: ``rnnpop.FlipFlop(...)`` …, or
    the user's own trials: ``rnnpop.tasks.ArrayTask(inputs, targets)``, stored in the run store),
    so that ``rnnpop analyse`` and ``rnnpop report`` treat them as a trained population.

    Each network is scored on the task's validation batch (its loss against the best
    constant output decides, as for rnnpop's networks, whether it is analysed); each group
    also gets untrained twins (rnnpop's initialisation of the same cell, seeded) as the
    untrained control. Everything is checked before anything is written: a group mixing
    shapes, a network whose inputs or outputs do not fit the task, a store that exists.
    ``analysis``: the ``[analysis]`` settings of a study file. Returns the :class:`RunStore`.
    """
    from ..store import RunStore, is_run_store
    from ..studyfile import parse_study
    from ..tasks import ArrayTask, task_options
    from ..train import GroupSpec, TrainConfig, constant_baseline, init_networks
    from ..train._hyper import derive_seed
    from ..train._population import masked_mse, validation_batch

    root = Path(root)
    if is_run_store(root):
        raise FileExistsError(f"{root} is already a run store; import into a new directory")
    if not groups:
        raise ValueError("groups: give at least one label with its networks")
    specs = {}
    for label, nets in groups.items():
        if not nets:
            raise ValueError(f"group {label!r} has no networks")
        shapes = {_shape(n) for n in nets}
        if len(shapes) != 1:
            raise ValueError(f"group {label!r} mixes networks of different shapes: "
                             f"{sorted(shapes)} (cell, activation, units, inputs, outputs); split it")
        cell, activation, units, n_in, n_out = shapes.pop()
        if (n_in, n_out) != (task.n_inputs, task.n_outputs):
            raise ValueError(f"group {label!r}: networks take {n_in} inputs and give {n_out} outputs; task "
                             f"{task.name!r} has {task.n_inputs} inputs and {task.n_outputs} outputs")
        specs[label] = GroupSpec(cell, activation, units)
    if isinstance(task, ArrayTask):  # a user's own trials: stored beside the networks
        task.save(root)
    study = parse_study({"kind": "imported", "name": name, "seed": seed, "task": task.name,
                         "tasks": {task.name: task_options(task)},
                         "groups": [{"label": label, "cell": s.cell, "activation": s.activation, "units": s.n_units,
                                     "networks": len(groups[label])} for label, s in specs.items()],
                         **({"analysis": dict(analysis)} if analysis else {})}, base=root)
    config = TrainConfig()
    batch = validation_batch(task, config)
    baseline = constant_baseline(task, config)
    store = RunStore.open(root, study)
    for plan in study.groups():
        start = time.perf_counter()
        nets = groups[plan.label]
        stacked = jax.tree_util.tree_map(lambda *leaves: np.stack([np.asarray(x) for x in leaves]), *nets)
        losses = np.array([float(masked_mse(n, *batch)) for n in nets], np.float32)
        seeds = np.array([derive_seed(seed, plan.group_id, "untrained", k) for k in range(len(nets))], np.uint32)
        untrained = jax.tree_util.tree_map(np.asarray, init_networks(task, plan.spec, seeds))
        table = pd.DataFrame({"network": np.arange(len(nets)), "phase": "seed", "seed": seeds.astype(np.int64),
                              "status": np.where(np.isfinite(losses), "ok", "diverged"),
                              "validation_loss": losses, "baseline_loss": baseline})
        store.write_group(plan, _Imported(stacked, untrained, np.zeros((len(nets), 0), np.float32),
                                          time.perf_counter() - start), table)
    return store
