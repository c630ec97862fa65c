"""What is specific to each task in the analyses, the findings and the report, in one
record per task; every stage, finding and figure dispatches through :func:`task_analyses`.

A new task adds its generator (``rnnpop.tasks``) and one :class:`TaskAnalyses` here;
nothing else names it.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np


@dataclasses.dataclass(frozen=True)
class TaskAnalyses:
    """One task's analyses.

    Attributes:
        name: the task's name in study files.
        topology: ``topology(store) -> (networks table, distances)``: the fixed-point
            graphs compared across networks.
        per_task: ``per_task(store) -> DataFrame`` stored beside the topology (the sine
            frequencies, the context integration), or ``None``.
        findings: ``findings(topology, minimum) -> list[Finding]``: the task's own claims.
        topology_claim: the paper's words on topology, and per view whether it says the
            networks cluster (``{"cell": bool, "activation": bool}``; a view left out: no claim).
        paper_graph_distance: the paper's graph distance (modal-count networks only) is
            tested as well as the matched-graph distance.
        transitions: the dynamics stage records transition graphs between fixed points.
        attractors: the dynamics stage records the stable fixed points and stable cycles that
            the network's iterates settle on (a memory can live on a cycle).
        mode_zeroing: the dynamics stage records mode-zeroing curves (line attractors).
        untrained_findings: the trained vs untrained comparison (Fig. 4) is tested.
        trajectory_note: what the report's trajectory figure shows for this task.
        trial_values: ``trial_values(probe inputs (trials, time, inputs)) -> (trials,)``
            colours the trajectories by a value (with ``value_label``), or ``None``.
        fixed_points_on_trajectories: draw the fixed points on the trajectories.
    """

    name: str
    topology: Callable
    findings: Callable
    topology_claim: tuple[str, dict[str, bool]]
    per_task: Callable | None = None
    paper_graph_distance: bool = False
    transitions: bool = False
    attractors: bool = False
    mode_zeroing: bool = False
    untrained_findings: bool = False
    trajectory_note: str = ""
    trial_values: Callable[[np.ndarray], np.ndarray] | None = None
    value_label: str = ""
    fixed_points_on_trajectories: bool = False


def _registry() -> dict[str, TaskAnalyses]:
    from ._findings import context_findings, flipflop_findings, sine_findings
    from ._topology_stage import context_integration, flipflop_topology, line_topology, sine_frequencies

    entries = [
        TaskAnalyses(
            "flipflop", topology=flipflop_topology, findings=flipflop_findings,
            topology_claim=("\u201call architectures converge to very similar solutions as shown by an MDS "
                            "embedding of the fixed point graph\u201d (Fig. 1f)", {"cell": False, "activation": False}),
            paper_graph_distance=True, transitions=True, attractors=True, trajectory_note=" (the flip-flop's cube)"),
        TaskAnalyses(
            "sine", topology=lambda store: line_topology(store, "sine", per_network=True), findings=sine_findings,
            per_task=sine_frequencies,
            topology_claim=("\u201cEmbeddings of the topological structure of the input-dependent fixed points did "
                            "not reveal any structure that systematically varied by architecture or activation\u201d "
                            "(Fig. 2e)", {"cell": False, "activation": False}),
            trajectory_note="; colour = cued frequency", trial_values=lambda inputs: inputs[..., 0].mean(1),
            value_label="input frequency"),
        TaskAnalyses(
            "context", topology=lambda store: line_topology(store, "context", per_network=False),
            findings=context_findings, per_task=context_integration,
            topology_claim=("\u201cThe MDS summary plot did not cluster strongly by architecture, but did cluster "
                            "based on activation\u201d (Fig. 3d)", {"cell": False, "activation": True}),
            mode_zeroing=True, untrained_findings=True,
            trajectory_note="; dots = fixed points of both contexts (filled stable, hollow unstable)",
            fixed_points_on_trajectories=True),
        TaskAnalyses(  # a user's own trials (rnnpop.tasks.ArrayTask): what is general, and no paper's claim
            "arrays", topology=lambda store: line_topology(store, "arrays", per_network=False),
            findings=lambda topology, minimum: [],
            topology_claim=("(none: the paper did not study this task; the statistic is measured, not judged)", {}),
            attractors=True, trajectory_note=" (your trials)", fixed_points_on_trajectories=True),
    ]
    return {e.name: e for e in entries}


def task_analyses(name: str) -> TaskAnalyses:
    """The analyses of the task called ``name``."""
    registry = _registry()
    if name not in registry:
        raise KeyError(f"no analyses registered for task {name!r}; registered: {sorted(registry)}")
    return registry[name]
