"""A user's own trials as a task: validated, stored without pickle, sampled trial by trial."""

import numpy as np
import pytest

from rnnpop.tasks import ArrayTask


def _arrays(trials=12, time=15, n_in=3, n_out=2, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(trials, time, n_in)), rng.normal(size=(trials, time, n_out))


def test_batches_are_whole_trials_of_the_arrays():
    x, y = _arrays()
    mask = (np.arange(15) >= 5)[None, :, None] * np.ones((12, 15, 2))
    task = ArrayTask(x, y, mask)
    batch = task.sample(40, seed=3)
    assert batch.inputs.shape == (40, 15, 3) and batch.targets.shape == (40, 15, 2)
    for inputs, targets, m in zip(batch.inputs, batch.targets, batch.mask):
        k = int(np.argmin(np.abs(x - inputs).sum(axis=(1, 2))))
        np.testing.assert_array_equal(inputs, x[k].astype(np.float32))
        np.testing.assert_array_equal(targets, y[k].astype(np.float32))
        np.testing.assert_array_equal(m, mask[k])
    assert len({tuple(b[0, :1]) for b in batch.inputs}) > 5  # drawn, not one trial repeated
    np.testing.assert_array_equal(task.sample(40, seed=3).inputs, batch.inputs)  # seeded
    assert ArrayTask(x, y).sample(4, 0).mask.min() == 1.0  # no mask: every step counts


def test_probe_conditions_and_sizes():
    x, y = _arrays()
    task = ArrayTask(x, y)
    assert (task.n_inputs, task.n_outputs, task.n_time, task.readout_grid) == (3, 2, 15, None)
    assert task.probe(40).shape == (3, 15, 3)  # ceil(40 / 15) trials
    assert task.probe(10_000).shape == (12, 15, 3)  # all there are
    np.testing.assert_array_equal(task.conditions(), np.zeros((1, 3)))
    fixed = np.eye(3)[:2]
    np.testing.assert_array_equal(ArrayTask(x, y, fixed_inputs=fixed).conditions(), fixed)


def test_save_and_load_round_trip_and_the_digest_guards_the_file(tmp_path):
    x, y = _arrays()
    task = ArrayTask(x, y, fixed_inputs=np.ones((1, 3)), file="data/task.npz")
    path = task.save(tmp_path)
    assert path == tmp_path / "data" / "task.npz"
    back = ArrayTask.load(path, file="data/task.npz", sha256=task.digest())
    np.testing.assert_array_equal(back.inputs, task.inputs)
    np.testing.assert_array_equal(back.conditions(), task.conditions())
    assert back.study_options() == task.study_options() == {"file": "data/task.npz", "sha256": task.digest()}
    np.savez(path, inputs=x + 1, targets=y)
    with pytest.raises(ValueError, match="differs from the arrays this study was made with"):
        ArrayTask.load(path, sha256=task.digest())


@pytest.mark.parametrize("change, message", [
    (lambda x, y: (x[0], y), r"inputs and targets must be \(trials, time, features\)"),
    (lambda x, y: (x, y[:, :10]), "differ in trials or time"),
    (lambda x, y: (np.where(x > 2, np.nan, x), y), "inputs holds NaN"),
    (lambda x, y: (x.astype(str), y), "inputs must be real numbers"),
])
def test_bad_arrays_are_refused_naming_the_array(change, message):
    with pytest.raises(ValueError, match=message):
        ArrayTask(*change(*_arrays()))
    with pytest.raises(ValueError, match=r"mask \(12, 15, 1\) must have the shape of targets"):
        ArrayTask(*_arrays(), mask=np.ones((12, 15, 1)))


def test_a_file_with_pickled_objects_or_missing_arrays_is_refused(tmp_path):
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    np.savez(tmp_path / "obj.npz", inputs=np.array([{"a": 1}], dtype=object), targets=np.zeros((1, 1, 1)))
    with pytest.raises(ValueError, match="without pickled objects"):
        ArrayTask.load(tmp_path / "obj.npz")
    np.savez(tmp_path / "half.npz", inputs=np.zeros((2, 3, 1)))
    with pytest.raises(ValueError, match=r"missing \['targets'\]"):
        ArrayTask.load(tmp_path / "half.npz")

