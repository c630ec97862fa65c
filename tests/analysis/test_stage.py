import numpy as np
import pytest

from rnnpop.analysis import analyse_similarity, load_similarity, probe_inputs, representations
from rnnpop.similarity import pairwise
from rnnpop.store import RunStore
from rnnpop.studies import run_study
from rnnpop.studyfile import parse_study
from rnnpop.tasks import FlipFlop

STUDY = {
    "name": "tiny-analysis", "seed": 4,
    "grid": {"tasks": ["flipflop"], "cells": ["vanilla", "lstm"], "activations": ["tanh"], "units": [6],
             "l2": [0.0]},
    "search": {"n_search": 1, "n_seeds": 3, "learning_rate": [0.01, 0.05], "momentum": [0.5, 0.9]},
    "train": {"n_iterations": 20, "log_every": 10, "batch_size": 8, "validation_size": 16},
    "tasks": {"flipflop": {"n_time": 20}},
    "analysis": {"similarity": ["svcca", "cka", "procrustes"], "probe_samples": 100, "max_relative_loss": 100.0},
}


def test_probe_is_fixed_and_big_enough():
    task = FlipFlop(n_time=30)
    a, b = probe_inputs(task, 100), probe_inputs(task, 100)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (8, 30, 3)  # one trial per corner of the cube at least


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    root = tmp_path_factory.mktemp("analysis") / "run"
    store = run_study(parse_study(STUDY), root)
    analyse_similarity(store, store.study.analysis)
    return RunStore.open(root)


def test_similarity_stage_stores_distances_embeddings_and_labels(analysed):
    ds = load_similarity(analysed, "flipflop")
    n = 2 * 3 * 2  # groups x seeds x (trained, untrained)
    for metric in ("svcca", "cka", "procrustes"):
        D = ds[metric].values
        assert D.shape == (n, n) and np.allclose(D, D.T) and np.all(np.diag(D) == 0)
        assert ds[f"mds_{metric}"].shape == (6, 2) and 0 <= ds.attrs[f"mds_{metric}_stress"] < 1
    assert ds.trained.values.sum() == 6 and set(ds.cell.values) == {"vanilla", "lstm"}


def test_stored_distances_equal_recomputing_from_the_networks(analysed):
    ds = load_similarity(analysed, "flipflop")
    gid = "flipflop-lstm-tanh-6"
    table = analysed.table()
    seeds = table[(table.group == gid) & (table.phase == "seed")].network.to_numpy()
    nets = analysed.networks(gid)
    import jax

    states = representations(jax.tree_util.tree_map(lambda x: x[seeds], nets),
                             probe_inputs(analysed.plan(gid).task, 100))
    assert states.shape[-1] == 12  # the LSTM state is [h; c] ...
    reps = [s[..., :6].reshape(-1, 6) for s in states]  # ... and its representation h (lstm_state = "hidden")
    rows = np.flatnonzero((ds.group.values == gid) & ds.trained.values)
    np.testing.assert_allclose(ds["cka"].values[np.ix_(rows, rows)], pairwise(reps, metric="cka"), atol=1e-6)
    full = [s.reshape(-1, 12) for s in states]
    assert not np.allclose(pairwise(full, metric="cka"), pairwise(reps, metric="cka"), atol=1e-3)


def test_representation_size_is_the_lstm_hidden_state_or_all_of_it():
    from rnnpop.analysis._stage import representation_size
    from rnnpop.studyfile import AnalysisSettings
    from rnnpop.train import GroupSpec

    assert representation_size(GroupSpec("lstm", "tanh", 8), AnalysisSettings()) == 8
    assert representation_size(GroupSpec("lstm", "tanh", 8), AnalysisSettings(lstm_state="full")) == 16
    assert representation_size(GroupSpec("gru", "tanh", 8), AnalysisSettings(lstm_state="full")) == 8


def test_stage_resumes_without_recomputing(analysed):
    path = analysed.root / "analysis" / "similarity-flipflop" / "manifest.json"
    before = path.stat().st_mtime_ns
    analyse_similarity(analysed, analysed.study.analysis)
    assert path.stat().st_mtime_ns == before
