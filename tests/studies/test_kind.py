"""The study kinds' stage graphs and the executors that follow them."""

import pytest

from rnnpop.execute._run import _dependencies
from rnnpop.studies import UntrainedUnitsError, analyse, kind_of
from rnnpop.studyfile import parse_study

STUDY = {"name": "g", "grid": {"tasks": ["flipflop", "sine"], "cells": ["vanilla", "gru"], "activations": ["tanh"],
                               "units": [8]}}


def test_universality_stages_run_after_what_they_name():
    study = parse_study(STUDY)
    kind = kind_of(study)
    names = [s.name for s in kind.enabled_stages(study)]
    assert names == ["representations", "similarity", "dynamics", "topology"]
    for i, stage in enumerate(kind.enabled_stages(study)):  # the in-process order respects `after`
        assert all(names.index(a) < i for a in stage.after)
    assert kind.tasks(study) == ["flipflop", "sine"]
    no_dynamics = parse_study({**STUDY, "analysis": {"dynamics": False}})
    assert [s.name for s in kind.enabled_stages(no_dynamics)] == ["representations", "similarity"]


def test_dask_dependencies_follow_unit_and_task_scopes():
    study = parse_study(STUDY)
    kind = kind_of(study)
    stages = {s.name: s for s in kind.stages}
    units = [u.unit_id for u in study.units_of_work()]
    done_by = {("train", u): f"train:{u}" for u in units}
    done_by.update({("representations", u): f"rep:{u}" for u in units})
    done_by.update({("dynamics", u): f"dyn:{u}" for u in units})
    # a unit stage waits for its own unit's training and named stages, nothing else
    assert sorted(_dependencies(kind, study, stages["dynamics"], "sine-gru-tanh-8", done_by)) == [
        "rep:sine-gru-tanh-8", "train:sine-gru-tanh-8"]
    # a task stage waits for every unit of its task, and no unit of another task
    needs = _dependencies(kind, study, stages["topology"], "flipflop", done_by)
    assert sorted(needs) == ["dyn:flipflop-gru-tanh-8", "dyn:flipflop-vanilla-tanh-8",
                             "train:flipflop-gru-tanh-8", "train:flipflop-vanilla-tanh-8"]


def test_vision_kind_is_one_study_stage_and_trains_in_process():
    study = parse_study({"kind": "vision", "name": "v"})
    kind = kind_of(study)
    assert kind.name == "vision" and kind.train_unit is None
    assert [(s.name, s.scope) for s in kind.stages] == [("vision", "study")]
    assert kind.keys(study, kind.stages[0]) == [None]
    assert kind.rate(study) == ("img/s", float(study.train.batch_size))


def test_analyse_refuses_untrained_units_naming_the_first(tmp_path):
    from rnnpop.store import open_store

    store = open_store(tmp_path / "run", parse_study(STUDY))
    with pytest.raises(UntrainedUnitsError, match="4 of 4 units not trained yet .first: flipflop-vanilla-tanh-8"):
        analyse(store)
    assert not store.analysis_dir.exists()
