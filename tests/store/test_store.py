import shutil
import signal
import subprocess
import sys
import time

import jax
import numpy as np
import pandas as pd
import pytest
import tomli_w

from rnnpop.store import RunStore, load
from rnnpop.studies import run_study
from rnnpop.studyfile import StudyError, parse_study
from rnnpop.train._population import masked_mse

STUDY = {
    "name": "tiny", "seed": 2,
    "grid": {"tasks": ["flipflop", "context"], "cells": ["vanilla", "gru"], "activations": ["tanh"],
             "units": [8], "l2": [1e-4]},
    "search": {"n_search": 2, "n_seeds": 2, "learning_rate": [0.01, 0.1], "momentum": [0.5, 0.9]},
    "train": {"n_iterations": 40, "log_every": 20, "batch_size": 16, "validation_size": 32},
    "tasks": {"flipflop": {"n_time": 20}, "context": {"n_time": 20}},
    "analysis": {"similarity": ["cka"], "probe_samples": 100, "max_relative_loss": 100.0, "dynamics": False},
}


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    root = tmp_path_factory.mktemp("store") / "run"
    run_study(parse_study(STUDY), root)
    return root


def test_store_round_trips_networks_and_table(finished):
    store = load(finished)
    table = store.table()
    assert len(table) == 4 * 4 and set(table.group) == {p.group_id for p in store.study.groups()}
    assert {"seed", "learning_rate", "l2", "train_loss", "validation_loss", "status", "phase"} <= set(table)
    plan = store.plan("flipflop-gru-tanh-8")
    trained, initial = store.networks(plan.group_id), store.networks(plan.group_id, "untrained")
    assert trained.cell.w_h.shape == (4, 24, 8)
    assert not np.allclose(trained.cell.w_h, initial.cell.w_h)
    # the stored weights reproduce the stored validation loss
    config = store.study.train
    batch = plan.task.generate(jax.random.key(config.validation_seed), config.validation_size)
    rows = table[table.group == plan.group_id].sort_values("network")
    for i in range(4):
        net = jax.tree_util.tree_map(lambda x: x[i], trained)
        assert np.isclose(float(masked_mse(net, *batch)), rows.validation_loss.iloc[i], rtol=1e-4)
    assert store.curves(plan.group_id).shape == (4, 2)


def test_rerun_skips_complete_groups_and_different_study_is_refused(finished):
    before = {p: p.stat().st_mtime_ns for p in (finished / "groups").rglob("manifest.json")}
    run_study(parse_study(STUDY), finished)
    after = {p: p.stat().st_mtime_ns for p in (finished / "groups").rglob("manifest.json")}
    assert before == after
    other = {**STUDY, "train": {**STUDY["train"], "n_iterations": 60}}
    with pytest.raises(StudyError, match="train.n_iterations"):
        run_study(parse_study(other), finished)


def test_failed_write_leaves_no_partial_group_and_keeps_the_previous_one(finished, tmp_path, monkeypatch):
    root = tmp_path / "copy"
    shutil.copytree(finished, root)
    store = RunStore.open(root)
    kept, removed = "flipflop-gru-tanh-8", "context-gru-tanh-8"
    shutil.rmtree(store.unit_dir(removed))
    before = (store.unit_dir(kept) / "params.safetensors").read_bytes()

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", disk_full)
    for gid in (kept, removed):
        with pytest.raises(OSError, match="No space"):
            store.write_group(store.plan(gid), _fake_result(store), pd.DataFrame({"network": [0]}))
    monkeypatch.undo()
    assert not store.unit_dir(removed).exists()
    assert not list((root / "groups").glob(".tmp-*"))
    assert (store.unit_dir(kept) / "params.safetensors").read_bytes() == before
    assert sorted(store.complete_groups()) == sorted(set(load(finished).complete_groups()) - {removed})


def _fake_result(store):
    from rnnpop.train import GroupResult, Hyperparameters, init_networks

    plan = store.plan("context-gru-tanh-8")
    nets = init_networks(plan.task, plan.spec, np.arange(1))
    hp = Hyperparameters(learning_rate=[0.1], decay=[0.5], momentum=[0.5], clip=[1.0], l2=[0.0], seed=[0])
    return GroupResult(nets, nets, hp, np.zeros(1), np.zeros(1), np.zeros((1, 2)), np.zeros(1, bool), 0.0)


def test_corrupted_file_is_detected_and_redone(finished, tmp_path):
    root = tmp_path / "copy"
    shutil.copytree(finished, root)
    gid = "flipflop-vanilla-tanh-8"
    params = root / "groups" / gid / "params.safetensors"
    params.write_bytes(params.read_bytes()[:-100])
    store = load(root)
    assert gid not in store.complete_groups()
    with pytest.raises(Exception, match="checksum"):
        store.networks(gid)
    reported = []
    run_study(parse_study(STUDY), root, on_corrupt=lambda plan, error: reported.append((plan.group_id, error)))
    assert len(reported) == 1 and reported[0][0] == gid
    assert "params.safetensors: checksum mismatch" in reported[0][1]  # the file is named
    pd.testing.assert_frame_equal(load(root).table(), load(finished).table())
    assert load(root).is_complete(gid)


def test_cli_killed_at_several_points_then_resumed_gives_the_identical_table(finished, tmp_path):
    study_file = tmp_path / "tiny.toml"
    study_file.write_text(tomli_w.dumps(STUDY))
    root = tmp_path / "run"
    cmd = [sys.executable, "-m", "rnnpop.cli", "run", str(study_file), "--store", str(root)]
    groups = root / "groups"

    def manifests():
        return len(list(groups.glob("*/manifest.json")))

    # kill -9 while the first group trains, just after a group is written, and mid-way
    for point in (lambda: list(groups.glob(".claim-*")), lambda: manifests() >= 1, lambda: manifests() >= 3):
        before = manifests()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 180
        while time.time() < deadline and proc.poll() is None and not (groups.exists() and point()):
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        assert manifests() >= before  # nothing completed is lost
        # nothing partial is read as done: every group with a manifest verifies
        store = load(root)
        for gid in store.complete_groups():
            store.networks(gid)
    assert manifests() < 4, "the kills landed before the last group"
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600)
    resumed, reference = load(root).table(), load(finished).table()
    # the CLI shards groups over one device per core; the in-process run used one device
    pd.testing.assert_frame_equal(resumed, reference, check_exact=False, rtol=1e-4, atol=1e-6)
    assert not list(groups.glob(".tmp-*")) and not list(groups.glob(".claim-*"))
