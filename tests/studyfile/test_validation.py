import math

import pytest

from rnnpop.studyfile import StudyError, load_study, parse_study

GOOD = {
    "name": "tiny", "seed": 1,
    "grid": {"tasks": ["flipflop"], "cells": ["vanilla"], "activations": ["tanh"], "units": [8], "l2": [0.0]},
    "search": {"n_search": 2, "n_seeds": 1},
    "train": {"n_iterations": 40, "log_every": 20, "batch_size": 16},
}


def variant(path, value):
    data = {k: (dict(v) if isinstance(v, dict) else v) for k, v in GOOD.items()}
    *parents, key = path.split(".")
    target = data
    for p in parents:
        target = target.setdefault(p, {})
    target[key] = value
    return data


def test_good_study_resolves_with_explicit_defaults():
    study = parse_study(GOOD)
    assert [g.group_id for g in study.groups()] == ["flipflop-vanilla-tanh-8"]
    assert study.networks_per_group == 3
    resolved = study.to_dict()
    assert resolved["tasks"]["flipflop"] == {"n_bits": 3, "n_time": 100, "p_flip": 0.05, "initial_pulse": True}
    assert resolved["grid"]["configurations"] == ["vanilla-tanh"]
    assert resolved["analysis"]["max_relative_loss"] == 0.05 and resolved["analysis"]["lstm_state"] == "hidden"
    assert parse_study(resolved).to_dict() == resolved


def test_configurations_give_the_papers_two_views():
    study = parse_study(variant("grid", {"tasks": ["flipflop"], "units": [8], "l2": [0.0], "configurations": [
        "vanilla-tanh", "gru-tanh", "vanilla-relu"]}))
    assert [g.group_id for g in study.groups()] == ["flipflop-vanilla-tanh-8", "flipflop-gru-tanh-8",
                                                   "flipflop-vanilla-relu-8"]
    assert study.cells == ("vanilla", "gru") and study.activations == ("tanh", "relu")


@pytest.mark.parametrize("path,value,message", [
    ("train.n_iteratons", 5, "train.n_iteratons"),
    ("bogus", 1, "bogus"),
    ("grid.units", [0], "grid.units"),
    ("grid.units", [-64], "grid.units"),
    ("grid.units", ["64"], "grid.units"),
    ("grid.cells", ["rnn"], "grid.cells.*allowed.*vanilla"),
    ("grid.cells", [], "grid.cells"),
    ("grid.activations", ["sigmoid"], "grid.activations"),
    ("grid.l2", [math.nan], "grid.l2"),
    ("grid.l2", [-1.0], "grid.l2"),
    ("search.learning_rate", [0.0, 0.1], "search.learning_rate"),
    ("search.learning_rate", [math.nan, 0.1], "search.learning_rate"),
    ("search.momentum", [0.5, 1.5], "search.momentum"),
    ("search.n_seeds", 0, "search.n_seeds"),
    ("train.batch_size", 2.5, "train.batch_size"),
    ("train.log_every", 30, "train.log_every"),
    ("tasks.flipflop", {"p_flip": 2.0}, "tasks.flipflop.*p_flip"),
    ("tasks.sine", {}, "tasks.sine"),
    ("name", "../escape", "name"),
    ("grid.configurations", ["gru-sigmoid"], "grid.configurations.*allowed.*gru-tanh"),
    ("grid.configurations", ["gru-tanh"], "replaces grid.cells"),
    ("tasks.flipflop", {"initial_pulse": "yes"}, "tasks.flipflop.*initial_pulse"),
    ("analysis.lstm_state", "cell", "analysis.lstm_state.*hidden"),
    ("analysis.max_relative_loss", 0.0, "analysis.max_relative_loss"),
    ("analysis.min_networks", 1, "analysis.min_networks"),
    ("analysis.slow_fraction", -0.1, "analysis.slow_fraction"),
])
def test_invalid_fields_are_named(path, value, message):
    with pytest.raises(StudyError, match=message):
        parse_study(variant(path, value))


def test_missing_or_malformed_file_is_a_clear_error(tmp_path):
    with pytest.raises(StudyError, match="not found"):
        load_study(tmp_path / "none.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[grid\nunits = 1")
    with pytest.raises(StudyError, match="not valid TOML"):
        load_study(bad)
