"""The store owns the run directory's layout: stage paths, units, and no path built elsewhere."""

import re
from pathlib import Path

import pytest

from rnnpop.store import open_store
from rnnpop.store._layout import STAGE_PATHS
from rnnpop.studyfile import parse_study

SRC = Path(__file__).resolve().parents[2] / "src" / "rnnpop"


def test_stage_paths_and_their_errors(tmp_path):
    store = open_store(tmp_path / "run", parse_study({"name": "l", "grid": {"units": [8]}}))
    assert store.stage("dynamics", "g") == tmp_path / "run" / "analysis" / "dynamics" / "g"
    assert store.stage("similarity", "flipflop") == tmp_path / "run" / "analysis" / "similarity-flipflop"
    assert store.unit_dir("g") == tmp_path / "run" / "groups" / "g"
    assert store.report_path == tmp_path / "run" / "report.html"
    with pytest.raises(KeyError, match="unknown analysis stage 'nope'; stages: "):
        store.stage("nope", "g")
    with pytest.raises(ValueError, match="stage 'vision' takes no key"):
        store.stage("vision", "g")
    with pytest.raises(ValueError, match="stage 'topology' needs a key"):
        store.stage("topology")
    assert not store.stage_done("dynamics", "g") and not store.has_analyses()


def test_every_stage_a_study_kind_runs_has_a_path():
    from rnnpop.studies._universality import UNIVERSALITY
    from rnnpop.studies._vision import VISION

    assert {s.name for kind in (UNIVERSALITY, VISION) for s in kind.stages} <= set(STAGE_PATHS)


def test_no_module_outside_the_store_spells_out_a_run_directory_path():
    pattern = re.compile(r'/ "(groups|models|analysis)"|"report\.html"|"study\.toml"|f?"(similarity|topology)-')
    offenders = [f"{p.relative_to(SRC)}:{n}" for p in SRC.rglob("*.py") if "store" not in p.parts
                 for n, line in enumerate(p.read_text().splitlines(), 1) if pattern.search(line)]
    assert offenders == []
