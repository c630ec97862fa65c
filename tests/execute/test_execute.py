import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
import tomli_w
from distributed import get_task_stream
from safetensors.numpy import load_file

from rnnpop.execute import execute_study, open_client, slurm_cluster
from rnnpop.store import load
from rnnpop.store._claims import claim, drop_stale_claim
from rnnpop.studies import run_study
from rnnpop.studyfile import StudyError, parse_study

STUDY = {
    "name": "dask", "seed": 3,
    "grid": {"tasks": ["flipflop"], "cells": ["vanilla", "gru", "lstm"], "activations": ["tanh"],
             "units": [8], "l2": [1e-4]},
    "search": {"n_search": 2, "n_seeds": 2, "learning_rate": [0.01, 0.1], "momentum": [0.5, 0.9]},
    "train": {"n_iterations": 60, "log_every": 20, "batch_size": 16, "validation_size": 32},
    "tasks": {"flipflop": {"n_time": 20}},
    "analysis": {"similarity": ["cka"], "probe_samples": 100, "max_relative_loss": 100.0, "untrained": False, "dynamics": False},
}


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    root = tmp_path_factory.mktemp("serial") / "run"
    run_study(parse_study(STUDY), root)
    return root


def _same_results(root, reference):
    a, b = load(root).table(), load(reference).table()
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-4, atol=1e-6)
    for gid in load(reference).complete_groups():
        x = load_file(root / "groups" / gid / "params.safetensors")
        y = load_file(reference / "groups" / gid / "params.safetensors")
        assert x.keys() == y.keys()
        for key in x:
            np.testing.assert_allclose(x[key], y[key], rtol=1e-3, atol=1e-5)


def _every_group_once(root):
    store = load(root)
    table = store.table()
    assert sorted(store.complete_groups()) == sorted(p.group_id for p in store.study.groups())
    assert not table.duplicated(["group", "network"]).any()
    assert not list((root / "groups").glob(".tmp-*")) and not list((root / "groups").glob(".claim-*"))


def test_two_worker_local_cluster_matches_the_serial_run_and_analyses(serial, tmp_path):
    root = tmp_path / "run"
    with open_client(workers=2) as client, get_task_stream(client) as stream:
        seen = []
        execute_study(parse_study(STUDY), root, client, progress=lambda d, done, total: seen.append((done, total)))
        pids = set(client.run(os.getpid).values())
        trim = set(client.run(os.environ.get, "MALLOC_TRIM_THRESHOLD_").values())
    assert len(pids) == 2
    assert trim == {None}  # glibc's adaptive thresholds kept (Dask's nanny would set 65536)
    assert seen[-1] == (7, 7)  # 3 training tasks, 3 per-group analyses, 1 per-task comparison
    starts = {r["key"]: min(s["start"] for s in r["startstops"]) for r in stream.data
              if r["key"].startswith("rnnpop-train-")}
    first = sorted(starts, key=starts.get)
    # costliest first: the LSTM and GRU groups take the two workers, the vanilla group waits
    assert len(first) == 3 and "-vanilla-" in first[-1]
    _every_group_once(root)
    _same_results(root, serial)
    assert (root / "analysis" / "similarity-flipflop" / "manifest.json").exists()


def test_a_worker_killed_mid_task_is_replaced_and_the_study_completes(serial, tmp_path):
    root = tmp_path / "run"
    study = parse_study(STUDY)
    with open_client(workers=2) as client:
        import threading

        killed = {}

        def killer():
            deadline = time.time() + 120
            while time.time() < deadline and not killed:
                for path in (root / "groups").glob(".claim-*/owner.json") if (root / "groups").exists() else []:
                    try:
                        owner = json.loads(path.read_text())
                    except (OSError, ValueError):
                        continue
                    os.kill(owner["pid"], signal.SIGKILL)
                    killed.update(owner, group=path.parent.name)
                    return
                time.sleep(0.02)

        thread = threading.Thread(target=killer)
        thread.start()
        execute_study(study, root, client, analyse=False)
        thread.join()
    assert killed, "a worker was killed while it held a group"
    _every_group_once(root)
    _same_results(root, serial)


def test_concurrent_runs_on_one_store_do_each_group_once(serial, tmp_path):
    study_file = tmp_path / "dask.toml"
    study_file.write_text(tomli_w.dumps({**STUDY, "analysis": {**STUDY["analysis"], "similarity": ["cka"]}}))
    root = tmp_path / "run"
    cmd = [sys.executable, "-m", "rnnpop.cli", "run", str(study_file), "--store", str(root)]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for _ in range(2)]
    outputs = [p.communicate(timeout=600)[0].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    _every_group_once(root)
    _same_results(root, serial)
    assert (root / "report.html").exists()


def test_claims_exclude_live_owners_and_take_over_dead_ones(tmp_path):
    with claim(tmp_path, "g") as first:
        assert first is not None
        with claim(tmp_path, "g") as second:
            assert second is None  # held by this (live) process
    # a claim left by a process that no longer exists is stale
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / ".claim-g").mkdir()
    (tmp_path / ".claim-g" / "owner.json").write_text(json.dumps({"host": os.uname().nodename, "pid": dead.pid}))
    with claim(tmp_path, "g") as taken:
        assert taken is not None
    assert not (tmp_path / ".claim-g").exists()
    # a complete group's claim: a dead owner's is dropped (killed before letting go), a live one's kept
    for pid, kept in ((dead.pid, False), (os.getpid(), True)):
        (tmp_path / ".claim-g").mkdir()
        (tmp_path / ".claim-g" / "owner.json").write_text(json.dumps({"host": os.uname().nodename, "pid": pid}))
        drop_stale_claim(tmp_path, "g")
        assert (tmp_path / ".claim-g").exists() == kept


def test_slurm_job_script_requests_the_cluster_section(tmp_path):
    study = parse_study({**STUDY, "cluster": {"queue": "gpu", "account": "lab", "cores": 4, "processes": 4,
                                              "memory": "16GB", "gpus": 1, "walltime": "02:00:00",
                                              "log_directory": "logs"}})
    cluster = slurm_cluster(study.cluster, tmp_path)
    try:
        script = cluster.job_script()
    finally:
        cluster.close()
    for expected in ("#SBATCH -p gpu", "#SBATCH -A lab", "#SBATCH -n 1", "#SBATCH --cpus-per-task=4",
                     "#SBATCH --mem=15G", "#SBATCH -t 02:00:00", "#SBATCH --gres=gpu:1", "--nworkers 4",
                     "--nthreads 1"):
        assert expected in script, (expected, script)
    # the workers' nannies leave MALLOC_TRIM_THRESHOLD_ unset, through the inherited Dask configuration
    exported = [line for line in script.splitlines() if line.startswith("export DASK_INTERNAL_INHERIT_CONFIG=")]
    assert len(exported) == 1
    from dask.config import deserialize
    inherited = deserialize(exported[0].split("=", 1)[1])
    assert inherited["distributed"]["nanny"]["pre-spawn-environ"] == {"MALLOC_TRIM_THRESHOLD_": None}


@pytest.mark.parametrize("section, message", [
    ({"kind": "pbs"}, "cluster.kind: unknown value 'pbs'"),
    ({"cores": -2}, "cluster.cores"),
    ({"log_directory": "../outside"}, "cluster.log_directory must be a path inside the run directory"),
    ({"log_directory": "/abs"}, "cluster.log_directory must be a path inside the run directory"),
    ({"queues": "x"}, "unknown key cluster.queues"),
])
def test_bad_cluster_section_is_named(section, message):
    with pytest.raises(StudyError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_study({**STUDY, "cluster": section})


def test_gpu_plugin_gives_each_local_worker_its_own_gpu(monkeypatch):
    from types import SimpleNamespace

    from rnnpop.execute._cluster import OneGpuPerWorker

    plugin = OneGpuPerWorker(n_gpus=4)
    seen = []
    for name in range(6):
        monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
        plugin.setup(SimpleNamespace(name=name))
        seen.append(os.environ["CUDA_VISIBLE_DEVICES"])
    assert seen == ["0", "1", "2", "3", "0", "1"]


def test_core_plugin_pins_every_thread_of_a_worker_to_its_own_core():
    import subprocess
    import sys

    cores = sorted(os.sched_getaffinity(0))
    script = ("import os, threading, time\n"
              "from types import SimpleNamespace\n"
              "from rnnpop.execute._cluster import OneCorePerWorker\n"
              "t = threading.Thread(target=time.sleep, args=(2,)); t.start()\n"
              f"OneCorePerWorker({cores!r}).setup(SimpleNamespace(name={len(cores) + 1}))\n"
              "tids = os.listdir('/proc/self/task')\n"
              "print(sorted({tuple(sorted(os.sched_getaffinity(int(tid)))) for tid in tids}))\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    # worker len(cores) + 1 wraps round to the second core; every thread (the sleeping one too) is on it
    assert out.strip() == str([(cores[1 % len(cores)],)])


def test_training_cost_orders_groups_by_multiply_adds():
    from rnnpop.execute._run import training_cost
    from rnnpop.studyfile import GroupPlan
    from rnnpop.tasks import FlipFlop
    from rnnpop.train import GroupSpec

    def cost(cell, units, n_time=100):
        return training_cost(GroupPlan(FlipFlop(n_time=n_time), GroupSpec(cell, "tanh", units)))

    # gates × n × (n + inputs) × T: an LSTM has 4 blocks, a vanilla RNN 1; the flip-flop has 3 inputs
    assert cost("lstm", 64) == 4 * cost("vanilla", 64) == 4 * 64 * 67 * 100
    assert cost("vanilla", 64) < cost("ugrnn", 64) < cost("gru", 64) < cost("lstm", 64) < cost("vanilla", 256)
    assert cost("gru", 128, n_time=500) == 5 * cost("gru", 128)
