import tomli_w
from typer.testing import CliRunner

from rnnpop.cli import app

runner = CliRunner()


def test_bad_study_fails_before_any_work_naming_the_field(tmp_path):
    study = tmp_path / "bad.toml"
    study.write_text(tomli_w.dumps({"name": "bad", "grid": {"units": [0]}}))
    result = runner.invoke(app, ["run", str(study), "--store", str(tmp_path / "run")])
    assert result.exit_code == 2
    assert "grid.units" in result.output
    assert not (tmp_path / "run").exists()


def test_train_rejects_unknown_cell_and_status_rejects_non_store(tmp_path):
    result = runner.invoke(app, ["train", "--store", str(tmp_path / "t"), "--cell", "rnn"])
    assert result.exit_code == 2 and "--cell" in result.output and "vanilla" in result.output
    result = runner.invoke(app, ["status", str(tmp_path)])
    assert result.exit_code == 2 and "not a run store" in " ".join(result.output.split())


def test_train_one_group_and_show_status(tmp_path):
    store = tmp_path / "one"
    result = runner.invoke(app, ["train", "--store", str(store), "--cell", "vanilla", "--units", "8",
                                 "--n-search", "2", "--n-seeds", "1", "--iterations", "20"])
    assert result.exit_code == 0, result.output
    status = runner.invoke(app, ["status", str(store)])
    assert status.exit_code == 0 and "done" in status.output and "flipflop-vanilla-tanh-8" in status.output


def test_disk_full_during_a_write_keeps_what_was_done_and_says_so(tmp_path, monkeypatch):
    import errno

    from rnnpop.store import _atomic, load

    study = tmp_path / "two.toml"
    study.write_text(tomli_w.dumps({
        "name": "two", "grid": {"tasks": ["flipflop"], "cells": ["vanilla", "gru"], "activations": ["tanh"],
                                "units": [8], "l2": [1e-4]},
        "search": {"n_search": 1, "n_seeds": 1}, "train": {"n_iterations": 20, "log_every": 10},
        "tasks": {"flipflop": {"n_time": 20}}}))
    real, calls = _atomic._write_durable, []

    def full_on_second_group(path, text):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(path, text)

    monkeypatch.setattr(_atomic, "_write_durable", full_on_second_group)
    root = tmp_path / "run"
    result = runner.invoke(app, ["run", str(study), "--store", str(root)])
    assert result.exit_code == 1
    message = " ".join(result.output.split())
    assert "the disk is full" in message and "intact" in message
    store = load(root)
    assert store.complete_groups() == ["flipflop-vanilla-tanh-8"]
    assert sorted(p.name for p in (root / "groups").iterdir()) == ["flipflop-vanilla-tanh-8"]
    store.networks("flipflop-vanilla-tanh-8")  # verifies its checksums


def test_version_flag_prints_the_installed_version():
    from importlib.metadata import version

    from typer.testing import CliRunner

    from rnnpop.cli import app

    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"rnnpop {version('rnnpop')}"
