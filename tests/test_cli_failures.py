"""What a user sees when something is wrong: one clean line, a non-zero exit, nothing lost."""

import os

import pytest
import tomli_w
from typer.testing import CliRunner

from rnnpop.cli import app

runner = CliRunner()


def one_line(result) -> str:
    return " ".join(result.output.split())


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A store with one trained group and no analyses."""
    root = tmp_path_factory.mktemp("cli") / "one"
    study = root.parent / "one.toml"
    study.write_text(tomli_w.dumps({
        "name": "one", "grid": {"tasks": ["flipflop"], "cells": ["vanilla"], "activations": ["tanh"],
                                "units": [8], "l2": [1e-4]},
        "search": {"n_search": 1, "n_seeds": 1}, "train": {"n_iterations": 20, "log_every": 10},
        "tasks": {"flipflop": {"n_time": 20}}}))
    from rnnpop.studies import run_study
    from rnnpop.studyfile import load_study

    run_study(load_study(study), root)
    return root


def test_report_on_a_store_without_analyses_says_run_analyse(trained):
    result = runner.invoke(app, ["report", str(trained)])
    assert result.exit_code == 2
    assert f"rnnpop analyse {trained}" in one_line(result)
    assert not (trained / "report.html").exists()


def test_report_on_a_read_only_store_is_one_line(trained, tmp_path, monkeypatch):
    import errno
    import shutil
    from pathlib import Path

    copy = tmp_path / "ro"
    shutil.copytree(trained, copy)
    runner.invoke(app, ["analyse", str(copy)])

    def read_only(self, *args, **kwargs):  # as a read-only file system answers (root ignores chmod)
        raise OSError(errno.EROFS, "Read-only file system", str(self))

    monkeypatch.setattr(Path, "write_text", read_only)
    result = runner.invoke(app, ["report", str(copy)])
    assert result.exit_code == 1 and result.exception is None or isinstance(result.exception, SystemExit)
    text = one_line(result)
    assert "Read-only file system" in text and "intact" in text and "Traceback" not in result.output


def test_a_truncated_analysis_is_named_not_silently_dropped(trained, tmp_path):
    import shutil

    copy = tmp_path / "cut"
    shutil.copytree(trained, copy)
    assert runner.invoke(app, ["analyse", str(copy)]).exit_code == 0
    zarr_file = next(p for p in (copy / "analysis").rglob("*") if p.is_file() and "similarity" in str(p)
                     and p.name != "manifest.json" and p.stat().st_size > 16)
    zarr_file.write_bytes(zarr_file.read_bytes()[:8])
    result = runner.invoke(app, ["report", str(copy)])
    assert result.exit_code == 2 and "checksum mismatch" in one_line(result) and "rnnpop analyse" in one_line(result)


def test_status_shows_a_corrupt_group_as_corrupt(trained, tmp_path):
    import shutil

    copy = tmp_path / "bad"
    shutil.copytree(trained, copy)
    metrics = next((copy / "groups").glob("*/metrics.parquet"))
    metrics.write_bytes(metrics.read_bytes()[:-10])  # truncated
    result = runner.invoke(app, ["status", str(copy)])
    assert result.exit_code == 0
    assert "corrupt" in result.output and "metrics.parquet" in one_line(result)
    assert "todo" not in result.output


def test_analyse_with_a_group_untrained_names_it_and_what_to_do(tmp_path):
    study = tmp_path / "two.toml"
    study.write_text(tomli_w.dumps({"name": "two", "grid": {"tasks": ["flipflop"], "cells": ["vanilla"],
                                                            "activations": ["tanh"], "units": [8]}}))
    from rnnpop.store import open_store
    from rnnpop.studyfile import load_study

    open_store(tmp_path / "run", load_study(study))  # an empty store: nothing trained
    result = runner.invoke(app, ["analyse", str(tmp_path / "run")])
    assert result.exit_code == 2
    assert "not trained yet" in one_line(result) and "rnnpop run" in one_line(result)


def test_ctrl_c_in_analyse_exits_130_and_says_how_to_resume(trained, monkeypatch):
    import rnnpop.studies

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(rnnpop.studies, "analyse", interrupted)
    result = runner.invoke(app, ["analyse", str(trained)])
    assert result.exit_code == 130 and "resume" in one_line(result)


def test_misspelled_key_and_value_get_a_suggestion(tmp_path):
    study = tmp_path / "typo.toml"
    study.write_text(tomli_w.dumps({"name": "typo", "gird": {}}))
    result = runner.invoke(app, ["plan", str(study)])
    assert result.exit_code == 2 and "did you mean 'grid'?" in one_line(result)
    study.write_text(tomli_w.dumps({"name": "typo", "grid": {"cells": ["gruu"]}}))
    result = runner.invoke(app, ["run", str(study), "--store", str(tmp_path / "r")])
    assert result.exit_code == 2 and "did you mean 'gru'?" in one_line(result)
    assert not (tmp_path / "r").exists()


def test_device_gpu_without_a_gpu_refuses_before_any_work(tmp_path):
    import jax

    if any(d.platform == "gpu" for d in jax.devices()):
        pytest.skip("this machine has a GPU")
    study = tmp_path / "s.toml"
    study.write_text(tomli_w.dumps({"name": "s", "grid": {"tasks": ["flipflop"], "cells": ["vanilla"],
                                                          "activations": ["tanh"], "units": [8]},
                                    "train": {"n_iterations": 20, "log_every": 10}}))
    result = runner.invoke(app, ["run", str(study), "--store", str(tmp_path / "r"), "--device", "gpu"])
    assert result.exit_code == 2 and "no GPU" in one_line(result) and ".[gpu]" in one_line(result)
    assert not (tmp_path / "r").exists()


def test_a_long_study_is_not_started_off_a_terminal_without_yes(tmp_path):
    result = runner.invoke(app, ["run", "examples/universality-full.toml", "--store", str(tmp_path / "full")])
    assert result.exit_code == 2
    assert "--yes" in one_line(result) and "days" in one_line(result)
    assert not (tmp_path / "full").exists()


def test_plan_lists_what_will_be_trained_and_the_estimates():
    result = runner.invoke(app, ["plan", "src/rnnpop/studies/demo.toml"])
    assert result.exit_code == 0, result.output
    text = one_line(result)
    assert "15 unit(s), 75 networks, 45,000 network-iterations" in text
    assert "cpu: " in result.output and "gpu: " in result.output and "H100" in text


def test_status_and_help_do_not_import_jax(trained):
    import subprocess
    import sys

    code = ("import sys\n"
            "from rnnpop.cli import _print_status\n"
            f"_print_status(__import__('pathlib').Path({str(trained)!r}))\n"
            "print(sorted(m for m in ('jax', 'equinox', 'matplotlib', 'dask', 'torch') if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "done" in out  # the table was printed
    assert out.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize("matmul, units, message", [
    ("fp16", 16, "train.matmul must be one of ['float32', 'bfloat16'], got 'fp16'"),
    ("bfloat16", 24, "multiple of 16, got 24"),
])
def test_an_unrunnable_matmul_is_refused_before_training(tmp_path, matmul, units, message):
    study = tmp_path / "bf.toml"
    study.write_text(tomli_w.dumps({
        "name": "bf", "grid": {"tasks": ["flipflop"], "cells": ["gru"], "activations": ["tanh"],
                               "units": [units], "l2": [1e-4]},
        "search": {"n_search": 1, "n_seeds": 1}, "train": {"n_iterations": 20, "log_every": 10, "matmul": matmul}}))
    result = runner.invoke(app, ["run", str(study), "--store", str(tmp_path / "bf"), "--yes"])
    assert result.exit_code == 2 and message in one_line(result), result.output
    assert not (tmp_path / "bf" / "groups").exists()
