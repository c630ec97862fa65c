import numpy as np
import pytest

from rnnpop.analysis import analyse_dynamics, analyse_similarity, load_dynamics
from rnnpop.store import RunStore
from rnnpop.studies import run_study
from rnnpop.studyfile import parse_study

# A small, well-trained 3-bit flip-flop population (the demo's recipe, one GRU group).
STUDY = {
    "name": "flipflop-dynamics", "seed": 0,
    "grid": {"tasks": ["flipflop"], "cells": ["gru"], "activations": ["tanh"], "units": [24], "l2": [1e-5]},
    "search": {"n_search": 1, "n_seeds": 2, "learning_rate": [0.05, 0.05], "momentum": [0.9, 0.9],
               "decay": [0.5, 0.5], "clip": [1.0, 1.0]},
    "train": {"n_iterations": 1500, "log_every": 500, "batch_size": 64, "validation_size": 128},
    "tasks": {"flipflop": {"n_time": 60, "p_flip": 0.08}},
    "analysis": {"similarity": ["cka"], "probe_samples": 600, "untrained": False},
}


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    root = tmp_path_factory.mktemp("dyn") / "run"
    store = run_study(parse_study(STUDY), root)
    analyse_similarity(store, store.study.analysis)
    analyse_dynamics(store, store.study.analysis)
    return RunStore.open(root)


def test_trained_flipflop_network_has_the_full_cube_of_fixed_points(analysed):
    gid = "flipflop-gru-tanh-24"
    table = analysed.table()
    seeds = table[(table.group == gid) & (table.phase == "seed")]
    assert (seeds.validation_loss < 0.1 * seeds.baseline_loss).all(), "the networks must be well trained"
    found = load_dynamics(analysed, gid)
    points, arrays, transitions = found.points, found.arrays, found.transitions
    for network, rows in points.groupby("network"):
        stable = rows[rows.stable]
        assert len(rows) == 27 and len(stable) == 8  # 3**3: 8 corners, 12 edge, 6 face and 1 centre saddles
        # the stable points read out the 8 corners of the cube, in lexicographic order
        corners = np.sign(stable[["readout_0", "readout_1", "readout_2"]].to_numpy())
        assert len({tuple(c) for c in corners}) == 8
        assert (rows.q[~rows.slow] <= 1e-10).all() and (rows.q[rows.slow] > 1e-10).all()
        assert (rows.n_unstable > 0).sum() >= 1  # saddles between the corners
    assert len(arrays["states"]) == len(points) and arrays["eigenvalues"].dtype == np.complex64
    # the GRU holds its bits on fixed points: its attractors are the 8 stable points, no cycles
    for network, found in found.attractors.groupby("network"):
        assert (found.period == 1).all() and found["count"].sum() == analysed.study.analysis.n_initial_states
        stable = points[(points.network == network) & points.stable].filter(like="readout_").to_numpy()
        reached = found.filter(like="readout_").to_numpy()
        gap = np.linalg.norm(reached[:, None] - stable[None], axis=-1)
        assert len(reached) == 8 and np.all(gap.min(axis=1) < 1e-3) and len(set(gap.argmin(axis=1))) == 8
    # transition rows sum to 1, and stable points only return to themselves
    for network, graph in transitions.groupby("network"):
        sums = graph.groupby("source").probability.sum()
        np.testing.assert_allclose(sums, 1.0)
        rows = points[points.network == network].reset_index(drop=True)
        for i in np.flatnonzero(rows.stable):
            out = graph[graph.source == i]
            assert out.target.tolist() == [i]


def test_stage_resumes(analysed):
    path = analysed.root / "analysis" / "dynamics" / "flipflop-gru-tanh-24" / "manifest.json"
    before = path.stat().st_mtime_ns
    analyse_dynamics(analysed, analysed.study.analysis)
    assert path.stat().st_mtime_ns == before


def test_flipflop_topology_compares_graphs_with_and_without_equal_counts(analysed):
    from rnnpop.analysis import analyse_topology, flipflop_topology

    table, distances = flipflop_topology(analysed)
    assert (table.n_stable == 8).all() and (table.n_cycles == 0).all() and table.modal.all()
    assert distances.attrs["modal_count"] == 27
    assert distances.attrs["modal_count"] == table.n_points.mode().iloc[0]
    M = distances["matched"].values
    assert np.allclose(M, M.T) and np.all(np.diag(M) == 0) and np.all(M >= 0)
    G = distances["graph"].values
    assert G.shape == (table.modal.sum(),) * 2
    analyse_topology(analysed)
    assert (analysed.root / "analysis" / "topology-flipflop" / "networks.parquet").is_file()


PIPELINE = {
    "name": "sine-context", "seed": 1,
    "grid": {"tasks": ["sine", "context"], "cells": ["vanilla"], "activations": ["tanh"], "units": [6],
             "l2": [0.0]},
    "search": {"n_search": 1, "n_seeds": 2, "learning_rate": [0.01, 0.01], "momentum": [0.5, 0.5]},
    "train": {"n_iterations": 20, "log_every": 10, "batch_size": 8, "validation_size": 16},
    "tasks": {"sine": {"n_time": 30, "n_frequencies": 3}, "context": {"n_time": 20}},
    "analysis": {"similarity": ["cka"], "probe_samples": 60, "untrained": False, "n_initial_states": 16,
                 "max_relative_loss": 100.0},
}


def test_sine_and_context_summaries_have_one_row_per_network_and_condition(tmp_path):
    from rnnpop.analysis import analyse_topology, context_integration, sine_frequencies

    store = run_study(parse_study(PIPELINE), tmp_path / "run")
    analyse_similarity(store, store.study.analysis)
    analyse_dynamics(store, store.study.analysis)
    sine = sine_frequencies(store)
    assert len(sine) == 2 * 3 and set(np.round(sine.input_frequency, 4)) == {0.1, 0.35, 0.6}
    context = context_integration(store)
    assert len(context) == 2 * 2 and context.n_points.min() >= 1
    assert np.isfinite(context.full_integral).all()
    from rnnpop.analysis import task_analyses

    for task, n_items in (("context", 2 * 2), ("sine", 2)):  # context: per network and context
        table, distances = task_analyses(task).topology(store)
        assert len(table) == n_items and distances["matched"].shape == (n_items, n_items)
        assert np.all(np.diag(distances["matched"].values) == 0)
    analyse_topology(store)
    for task in ("sine", "context"):
        assert (store.stage("topology", task) / "distances.zarr").is_dir()
    assert (store.stage("topology", "context") / "per_task.parquet").is_file()


def test_a_population_that_did_not_learn_is_set_aside_and_not_tested(tmp_path):
    """20 iterations teach nothing: under the default inclusion rule (5 % of the constant-
    output loss) every network is set aside, every stage still completes, and every claim
    says it cannot be tested rather than passing or failing."""
    from rnnpop.analysis import analyse_topology, inclusion, study_findings
    from rnnpop.report import build_report

    study = dict(PIPELINE, analysis={"similarity": ["cka"], "probe_samples": 60, "n_initial_states": 16})
    store = run_study(parse_study(study), tmp_path / "run")
    assert not inclusion(store.table(), 0.05).included.any()
    analyse_similarity(store, store.study.analysis)
    analyse_dynamics(store, store.study.analysis)
    analyse_topology(store)
    findings = study_findings(store)
    assert len(findings) and (findings.verdict == "not testable at this size").all()
    text = build_report(store).read_text()
    assert text.count("not analysed") == 2 * 2  # both seed networks of both tasks, each with its reason
