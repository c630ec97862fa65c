import re

import pytest
from typer.testing import CliRunner

from rnnpop.analysis import analyse_dynamics, analyse_similarity, analyse_topology
from rnnpop.cli import app
from rnnpop.studies import run_study
from rnnpop.studyfile import parse_study

# A tiny study on all three tasks, trained and analysed in about a minute.
TINY = {
    "name": "tiny", "seed": 0,
    "grid": {"tasks": ["flipflop", "sine", "context"], "cells": ["vanilla", "gru"], "activations": ["tanh"],
             "units": [8], "l2": [1e-5]},
    "search": {"n_search": 1, "n_seeds": 2},
    "train": {"n_iterations": 40, "log_every": 20, "batch_size": 16, "validation_size": 32},
    "tasks": {"flipflop": {"n_time": 20}, "sine": {"n_time": 30, "n_frequencies": 3},
              "context": {"n_time": 20}},
    "analysis": {"similarity": ["cka"], "probe_samples": 120, "max_relative_loss": 100.0, "untrained": True, "n_initial_states": 16},
}


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("report") / "run"
    store = run_study(parse_study(TINY), root)
    analyse_similarity(store, store.study.analysis)
    analyse_dynamics(store, store.study.analysis)
    analyse_topology(store)
    result = CliRunner().invoke(app, ["report", str(root)])
    assert result.exit_code == 0, result.output
    path = root / "report.html"
    assert str(path) in result.output
    return path


def test_report_is_one_file_with_every_section_and_embedded_figures(report):
    text = report.read_text()
    for anchor in ("study", "training", "task-flipflop", "task-sine", "task-context", "findings", "set-aside"):
        assert f'id="{anchor}"' in text
    sources = re.findall(r'<img src="([^"]+)"', text)
    assert len(sources) >= 15 and all(s.startswith("data:image/png;base64,") for s in sources)
    # self-contained: nothing is fetched from anywhere
    assert not re.search(r'(src|href)="(https?:)?//', text)
    for title in ("Frequency response", "Eigenvalues", "Mode zeroing", "Topology MDS", "Trained vs. untrained (cka)",
                  "Fixed points (gru)", "Final losses", "CKA distances"):
        assert f"<h3>{title}</h3>" in text
    # the findings table: claims quoted, each with its statistic and verdict
    assert "the corners of a three-dimensional cube" in text
    assert "gru-tanh: slope of linear vs input frequency" in text
    assert "silhouette of cell among tanh networks" in text and "not testable at this size" in text


def test_report_has_the_population_budget_and_wall_time(report):
    text = report.read_text()
    assert "flipflop-vanilla-tanh-8" in text and "context-gru-tanh-8" in text
    assert "40 iterations, batch 16" in text
    assert re.search(r"training \d+ s, analyses \d+ s", text)
    assert "cores; JAX" in text  # the hardware recorded with the run


def test_report_renders_in_headless_chromium_without_errors(report, render_in_browser):
    render_in_browser(report, title="rnnpop report: tiny", min_images=15)
