"""The cost model: sizes exact, time within a factor of a live run on this machine."""

import time

from rnnpop.studies import estimate
from rnnpop.studyfile import load_study, parse_study


def test_sizes_are_exact():
    cost = estimate(load_study("src/rnnpop/studies/demo.toml"))
    # 3 tasks × 5 configurations; per group 1 L2 × (2 search + 3 seeds) networks × 600 iterations
    assert cost.n_units == 15 and cost.table.networks.sum() == 75
    assert cost.table["network-iterations"].sum() == 75 * 600
    full = estimate(load_study("examples/universality-full.toml"))
    # 3 tasks × 4 cells × 2 activations × 3 widths; per group 4 L2 × (8 search + 30 seeds)
    assert full.n_units == 72 and full.table.networks.sum() == 72 * 4 * (8 + 30)


def test_flops_scale_with_the_work():
    base = {"name": "f", "grid": {"tasks": ["flipflop"], "cells": ["vanilla"], "activations": ["tanh"],
                                  "units": [64]}, "train": {"n_iterations": 100, "log_every": 100}}
    one = estimate(parse_study(base)).flops
    twice = estimate(parse_study({**base, "train": {"n_iterations": 200, "log_every": 100}})).flops
    gru = estimate(parse_study({**base, "grid": {**base["grid"], "cells": ["gru"]}})).flops
    assert twice == 2 * one
    assert 2.5 < gru / one < 3.0  # three gate blocks, one readout


def test_estimate_is_within_a_factor_of_a_live_run(tmp_path):
    study = parse_study({"name": "live", "seed": 0,
                         "grid": {"tasks": ["flipflop"], "configurations": ["vanilla-tanh", "gru-tanh"],
                                  "units": [32], "l2": [1e-5]},
                         "search": {"n_search": 2, "n_seeds": 2}, "train": {"n_iterations": 300, "log_every": 100}})
    from rnnpop.studies import run_study

    start = time.perf_counter()
    run_study(study, tmp_path / "live")
    measured = time.perf_counter() - start
    predicted = estimate(study).seconds("cpu")
    assert predicted / 3 < measured < predicted * 3, (predicted, measured)
