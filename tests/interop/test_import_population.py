"""A folder of PyTorch checkpoints becomes a run store that analyse and report read."""

import numpy as np
import pytest
from typer.testing import CliRunner

torch = pytest.importorskip("torch")
nn = torch.nn

from rnnpop import FlipFlop  # noqa: E402
from rnnpop.cli import app  # noqa: E402

runner = CliRunner()


class Model(nn.Module):
    def __init__(self, cell, units):
        super().__init__()
        self.rnn = cell(3, units, batch_first=True)
        self.head = nn.Linear(units, 3)


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ckpt")
    for k in range(4):
        for name, cell in (("gru", nn.GRU), ("lstm", nn.LSTM)):
            torch.manual_seed(k)
            (folder / name).mkdir(exist_ok=True)
            torch.save(Model(cell, 8).state_dict(), folder / name / f"{name}{k}.pt")
    return folder


def test_import_analyse_report_from_the_command_line(checkpoints, tmp_path):
    root = tmp_path / "lab"
    result = runner.invoke(app, ["import", str(checkpoints), "--task", "flipflop", "--store", str(root),
                                 "--readout-prefix", "head.", "--group-by", "folder", "--n-time", "30"])
    assert result.exit_code == 0, result.output
    from rnnpop.store import load

    store = load(root)
    assert store.complete_groups() == ["flipflop-gru", "flipflop-lstm"]
    table = store.table()
    assert len(table) == 8 and set(table.cell) == {"gru_torch", "lstm"}
    assert (table.validation_loss > 0).all() and table.baseline_loss.nunique() == 1
    assert runner.invoke(app, ["analyse", str(root)]).exit_code == 0
    report = runner.invoke(app, ["report", str(root)])
    assert report.exit_code == 0, report.output
    html = (root / "report.html").read_text()
    assert "flipflop-gru" in html and "Findings" in html


def test_import_refuses_bad_input_and_writes_nothing(checkpoints, tmp_path):
    root = tmp_path / "bad"
    wrong_task = runner.invoke(app, ["import", str(checkpoints / "gru"), "--task", "context", "--store", str(root),
                                     "--readout-prefix", "head."])
    assert wrong_task.exit_code == 2
    assert "3 inputs and give 3 outputs; task 'context' has" in " ".join(wrong_task.output.split())
    assert not root.exists()
    missing = runner.invoke(app, ["import", str(checkpoints / "gru"), "--task", "flipflop", "--store", str(root),
                                  "--readout-prefix", "decoder."])
    assert missing.exit_code == 2 and "decoder.weight" in " ".join(missing.output.split())
    assert not root.exists()


def test_imported_population_in_python_is_analysed_like_a_trained_one(tmp_path):
    import jax

    from rnnpop import FlipFlop
    from rnnpop.interop import from_torch, import_population
    from rnnpop.studies import analyse

    task = FlipFlop(n_time=30)
    nets = {"a": [], "b": []}
    for k in range(3):
        torch.manual_seed(10 + k)
        nets["a"].append(from_torch(nn.GRU(3, 8), nn.Linear(8, 3)))
        nets["b"].append(from_torch(nn.RNN(3, 8), nn.Linear(8, 3)))
    store = import_population(tmp_path / "p", nets, task, analysis={"max_relative_loss": 1e6, "probe_samples": 300})
    analyse(store)
    similarity = store.stage("similarity", "flipflop")
    assert (similarity / "manifest.json").is_file()
    from rnnpop.analysis import load_similarity

    data = load_similarity(store, "flipflop")
    assert data.svcca.shape == (12, 12)  # 6 imported networks, trained and untrained twins
    # the imported weights are the ones analysed
    stored = jax.tree_util.tree_map(lambda x: x[1], store.networks("flipflop-a"))
    np.testing.assert_array_equal(np.asarray(stored.cell.w_h), np.asarray(nets["a"][1].cell.w_h))


def test_networks_with_their_own_trials_are_imported_from_the_command_line(checkpoints, tmp_path):
    """The user's task as arrays: the store keeps its own copy, checked when reopened."""
    from rnnpop.store import load

    batch = FlipFlop(n_time=30).sample(64, seed=0)
    trials = tmp_path / "trials.npz"
    np.savez(trials, inputs=batch.inputs, targets=batch.targets)
    root = tmp_path / "own"
    result = runner.invoke(app, ["import", str(checkpoints), "--task", str(trials), "--store", str(root),
                                 "--readout-prefix", "head.", "--group-by", "folder"])
    assert result.exit_code == 0, result.output
    trials.unlink()  # the store holds its own copy
    store = load(root)
    assert store.complete_groups() == ["arrays-gru", "arrays-lstm"]
    task = store.study.tasks[0]
    assert task.n_time == 30 and (root / "task.npz").is_file()
    np.testing.assert_array_equal(task.inputs, batch.inputs)
    (root / "task.npz").write_bytes(b"not an npz")
    with pytest.raises(Exception, match="tasks.arrays.file"):
        load(root)


def test_own_trials_are_analysed_and_reported_with_the_users_labels(tmp_path):
    """Analysed and reported like rnnpop's tasks: an MDS coloured by the user's group labels;
    the paper's topology claims measured, not judged (it made none for this task)."""
    from rnnpop.analysis import load_similarity, study_findings
    from rnnpop.interop import from_torch, import_population
    from rnnpop.report import build_report
    from rnnpop.studies import analyse
    from rnnpop.tasks import ArrayTask

    batch = FlipFlop(n_time=30).sample(64, seed=0)
    nets = {"lab-a": [], "lab-b": []}
    for k in range(3):
        torch.manual_seed(20 + k)
        nets["lab-a"].append(from_torch(nn.GRU(3, 8), nn.Linear(8, 3)))
        nets["lab-b"].append(from_torch(nn.LSTM(3, 8), nn.Linear(8, 3)))
    store = import_population(tmp_path / "p", nets, ArrayTask(batch.inputs, batch.targets),
                              analysis={"max_relative_loss": 1e6, "probe_samples": 300, "min_networks": 2})
    analyse(store)
    assert load_similarity(store, "arrays").svcca.shape == (12, 12)
    html = build_report(store).read_text()
    start = html.index("MDS by your labels")
    assert "Not drawn" not in html[start:start + 400]
    findings = study_findings(store)
    topology = findings[findings.statistic.str.contains("topology distances")]
    assert len(topology) and set(topology.verdict) <= {"not testable at this size",
                                                      "measured (the paper made no claim for this task)"}


def test_trials_that_do_not_fit_the_networks_are_refused_before_writing(checkpoints, tmp_path):
    trials = tmp_path / "trials.npz"
    np.savez(trials, inputs=np.zeros((4, 10, 2)), targets=np.zeros((4, 10, 3)))
    root = tmp_path / "no"
    result = runner.invoke(app, ["import", str(checkpoints / "gru"), "--task", str(trials), "--store", str(root),
                                 "--readout-prefix", "head."])
    assert result.exit_code == 2 and "task 'arrays' has 2 inputs" in " ".join(result.output.split())
    assert not root.exists()
