"""The report's figures for one task, made from the stored analyses."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from .. import plots
from ..analysis import group_states, load_dynamics, load_topology, mds, probe_inputs, stored_similarity, task_analyses
from ..store import RunStore


@dataclasses.dataclass(frozen=True)
class Figure:
    """A titled figure of the report with its caption (``figure`` is matplotlib's; ``None``
    when the data could not make it, the caption then says why)."""

    title: str
    caption: str
    figure: object


def drawn(title: str, caption: str, make) -> Figure:
    """``Figure(title, caption, make())``, or, when the data cannot make a meaningful figure
    (:class:`rnnpop.plots.NothingToDraw`), the same title with the reason instead."""
    try:
        return Figure(title, caption, make())
    except plots.NothingToDraw as why:
        return Figure(title, f"Not drawn: {why}.", None)


def _representative_groups(store: RunStore, task: str, complete: set[str]) -> dict[str, str]:
    """One complete group per cell type (the tanh one where there is one): ``{cell: group_id}``."""
    chosen: dict[str, str] = {}
    for plan in store.study.groups():
        if plan.task.name != task or plan.group_id not in complete:
            continue
        cell = plan.spec.cell
        if cell not in chosen or plan.spec.activation == "tanh":
            chosen[cell] = plan.group_id
    return chosen


def _first_network_points(store: RunStore, group_id: str):
    if not store.stage_finished("dynamics", group_id):
        return None
    found = load_dynamics(store, group_id)
    points, arrays, transitions = found.points, found.arrays, found.transitions
    if points.empty:
        return None
    network = points.network.iloc[0]
    sel = (points.network == network).to_numpy()
    cycles = []
    if found.attractors is not None:  # the stable cycles' points (period >= 2)
        rows = np.flatnonzero(((found.attractors.network == network) & (found.attractors.period >= 2)).to_numpy())
        cycles = [arrays["attractor_orbits"][a, : found.attractors.period.iloc[a]] for a in rows]
    return network, points[sel].reset_index(drop=True), arrays, sel, transitions[transitions.network == network], cycles


def _seed_curves(store: RunStore, rows: pd.DataFrame) -> dict[tuple[str, str], np.ndarray]:
    """The seed networks' training curves per (cell, activation), every width together."""
    out: dict[tuple[str, str], list] = {}
    for gid, group in rows[rows.phase == "seed"].groupby("group", sort=False):
        curves = store.curves(gid)[group.network.to_numpy()]
        out.setdefault((group.cell.iloc[0], group.activation.iloc[0]), []).append(curves)
    return {k: np.concatenate(v) for k, v in out.items()}


def task_figures(store: RunStore, task: str, table: pd.DataFrame) -> list[Figure]:
    """Every figure of ``task`` whose analyses are in the store; ``table`` is
    ``store.table()`` (one row per network of the complete groups)."""
    settings = store.study.analysis
    figures: list[Figure] = []
    complete = set(table.group) if not table.empty else set()
    groups = _representative_groups(store, task, complete)
    first = {cell: _first_network_points(store, gid) for cell, gid in groups.items()}  # read once
    rows = table[table.task == task] if not table.empty else table
    if len(rows):
        figures.append(Figure("Final losses", "Validation loss of every network (search and seed phases), "
                              "per configuration (Appendix C).", plots.loss_histograms(rows)))
        figures.append(drawn("Training curves", "Training loss of every seed network over the iterations "
                             "(thin), with their median (thick), per configuration.",
                             lambda: plots.loss_curves(_seed_curves(store, rows), log_every=store.study.train.log_every)))
    analyses = task_analyses(task)
    states, fixed, stable = {}, {}, {}
    trial_values = None
    for cell, gid in groups.items():
        if not store.stage_finished("representations", gid):
            continue
        data = group_states(store, gid, settings)
        if data.sizes["network"] == 0:  # every network of the group was set aside
            continue
        states[cell] = data["trained"].values[0]
        found = first[cell]
        if found is not None and analyses.fixed_points_on_trajectories:
            _, points, arrays, sel, *_ = found
            fixed[cell], stable[cell] = arrays["states"][sel], points.stable.to_numpy()
    if analyses.trial_values is not None and states:
        inputs = probe_inputs(store.plan(next(iter(groups.values()))).task, settings.probe_samples)
        trial_values = analyses.trial_values(inputs)
    if states:
        figures.append(Figure(
            "Trajectories", "Hidden-state trajectories of one trained network per cell type on the probe inputs, "
            "in its top three principal components" + analyses.trajectory_note + ".",
            plots.trajectories(states, trial_values=trial_values, value_label=analyses.value_label,
                               fixed_points=fixed or None, stable=stable or None)))
    figures += _similarity_figures(store, task)
    if analyses.transitions:
        for cell, gid in groups.items():
            found = first[cell]
            if found is None or cell not in states:
                continue
            _, points, arrays, sel, edges, cycles = found
            graph = np.zeros((len(points), len(points)))
            graph[edges.source.to_numpy(), edges.target.to_numpy()] = edges.probability.to_numpy()
            held = (f" This network holds its states on {len(cycles)} stable cycles (diamonds, dotted): "
                    "iterates near an unstable point settle on a cycle around it." if cycles else "")
            figures.append(Figure(f"Fixed points ({cell})",
                                  f"Fixed points of one {gid} network, stable filled, saddles hollow; lines: "
                                  "transitions after a small perturbation (width = probability)." + held,
                                  plots.fixed_point_graph(states[cell], arrays["states"][sel],
                                                          points.stable.to_numpy(), graph, cycles=cycles)))
    figures += _topology_figures(store, task, groups)
    return figures


def _similarity_figures(store: RunStore, task: str) -> list[Figure]:
    stored = stored_similarity(store, task)
    if stored is None:
        return []
    data, labels = stored.data, stored.labels
    trained = labels.trained.to_numpy(bool)
    out = []
    for metric in data.attrs["metrics"]:
        D = data[metric].values
        out.append(drawn(f"{metric.upper()} distances", f"{metric} distance between every pair of networks "
                         "(trained, then untrained), sorted by cell and activation.",
                         lambda: plots.distance_matrix(D, labels, metric=metric)))
        embedding = data[f"mds_{metric}"].values
        out.append(drawn(f"{metric.upper()} MDS", f"MDS of the trained networks' {metric} distances "
                         f"(Kruskal stress {data.attrs[f'mds_{metric}_stress']:.3f}).",
                         lambda: plots.population_maps(embedding, labels[trained].reset_index(drop=True),
                                                       metric=metric)))
        owners = {p.group_id: p.label for p in store.study.groups() if getattr(p, "label", None)}
        if owners:  # an imported population: the groups its owner named
            named = labels[trained].group.map(owners).to_numpy()
            out.append(drawn(f"{metric.upper()} MDS by your labels",
                             f"The same MDS of {metric} distances, coloured by the group labels given at import.",
                             lambda: plots.mds_map(embedding, named, title=f"{metric} MDS by group label")))
        vanilla = (labels.cell == "vanilla").to_numpy()
        scope = vanilla if vanilla.any() else np.ones(len(labels), bool)
        if (~trained[scope]).any() and scope.sum() >= 3:
            sub = D[np.ix_(scope, scope)]
            emb, _ = mds(sub, seed=store.study.analysis.seed)
            kind = labels.activation if vanilla.any() else labels.cell
            out.append(Figure(f"Trained vs. untrained ({metric})",
                              f"MDS of {'vanilla' if vanilla.any() else 'all'} networks, trained (filled) and "
                              f"untrained (hollow), {metric} distance (Fig. 4).",
                              plots.mds_map(emb, kind.to_numpy()[scope], hollow=~trained[scope],
                                            title=f"{metric}: trained and untrained")))
    return out


def _topology_figures(store: RunStore, task: str, groups: dict[str, str]) -> list[Figure]:
    stored = load_topology(store, task)
    if stored is None:
        return []
    table, distances, per_task = stored.networks, stored.distances, stored.per_task
    out = []
    if "mds_matched" in distances:
        modal = table[table.modal]
        paper = distances["mds_graph"].values if "mds_graph" in distances else None
        out.append(Figure("Topology MDS", "MDS of the fixed-point topology distances, coloured by cell: the "
                          "matched-graph distance (every network) and the paper's graph distance (networks with "
                          "the modal fixed-point count only).",
                          plots.topology_maps(distances["mds_matched"].values, table.cell.to_numpy(), paper,
                                              modal.cell.to_numpy(), modal_count=distances.attrs["modal_count"])))
    if per_task is not None and "input_frequency" in per_task:
        out.append(drawn("Frequency response", "Oscillation frequency of the linearisation at each input's "
                         "fixed point vs. the input frequency (Fig. 2d, 2f); dashed: identity.",
                         lambda: plots.frequency_response(per_task)))
    if task_analyses(task).mode_zeroing:
        eigenvalues, curves = {}, {}
        for cell, gid in groups.items():
            if not store.stage_finished("dynamics", gid):
                continue
            arrays = load_dynamics(store, gid).arrays
            eigenvalues[cell] = arrays["eigenvalues"]
            curves[cell] = arrays.get("mode_zeroing", np.zeros((0, 1)))
        if eigenvalues:
            out.append(drawn("Eigenvalues", "Eigenvalues of the linearisation at the line attractors' fixed points "
                             "(Fig. 3e); red circle: within 0.05 of 1.", lambda: plots.eigenvalue_spectra(eigenvalues)))
            out.append(drawn("Mode zeroing", "Readout of a unit pulse on the cued input integrated by the "
                             "linearisation keeping the k slowest modes, relative to all modes (Fig. 3f).",
                             lambda: plots.mode_zeroing(curves)))
    return out
