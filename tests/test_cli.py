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
    assert result.exit_code == 2 and "grid.cells" in result.output and "vanilla" in result.output
    result = runner.invoke(app, ["status", str(tmp_path)])
    assert result.exit_code == 2 and "not a run store" in " ".join(result.output.split())


def test_train_one_group_and_show_status(tmp_path):
    store = tmp_path / "one"
    result = runner.invoke(app, ["train", "--store", str(store), "--cell", "vanilla", "--units", "8",
                                 "--n-search", "2", "--n-seeds", "1", "--iterations", "20"])
    assert result.exit_code == 0, result.output
    status = runner.invoke(app, ["status", str(store)])
    assert status.exit_code == 0 and "done" in status.output and "flipflop-vanilla-tanh-8" in status.output
