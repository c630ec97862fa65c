import h5py
import numpy as np
import pytest

from rnnpop.vision import MiniEcoset


def _write(path, *, drop=None):
    rng = np.random.default_rng(0)
    with h5py.File(path, "w") as f:
        items = {
            "categories": np.array([b"cat", b"dog", b"car"]),
            "train_img_mean_channels": np.array([100.0, 110.0, 120.0]),
            "train_img_std_channels": np.array([50.0, 55.0, 60.0]),
        }
        for key, value in items.items():
            if key != drop:
                f[key] = value
        for split, n in (("train", 10), ("val", 4), ("test", 4), ("testplus", 2)):
            f[f"{split}/data"] = rng.integers(0, 256, size=(n, 8, 8, 3), dtype=np.uint8)
            if f"{split}/labels" != drop:
                f[f"{split}/labels"] = rng.integers(0, 3, size=n)


def test_reads_lazily_indexes_and_normalises(tmp_path):
    path = tmp_path / "mini.h5"
    _write(path)
    with MiniEcoset(path, split="val") as ds, h5py.File(path) as f:
        assert len(ds) == 4 and ds.categories == ["cat", "dog", "car"] and ds.image_shape == (8, 8, 3)
        images, labels = ds[1:3]
        expected = (f["val/data"][1:3].astype(np.float32) - [100.0, 110.0, 120.0]) / [50.0, 55.0, 60.0]
        np.testing.assert_allclose(images, expected, rtol=1e-6)
        np.testing.assert_array_equal(labels, f["val/labels"][1:3])
        raw, _ = ds.raw([3, 0])  # unsorted fancy index
        np.testing.assert_array_equal(raw, np.stack([f["val/data"][3], f["val/data"][0]]))
        assert raw.dtype == np.uint8
        single, label = ds[2]
        assert single.shape == (8, 8, 3) and label == f["val/labels"][2]


@pytest.mark.parametrize("drop", ["categories", "train_img_std_channels", "test/labels"])
def test_missing_key_is_named(tmp_path, drop):
    path = tmp_path / "broken.h5"
    _write(path, drop=drop)
    with pytest.raises(KeyError, match=f"missing '{drop}'"):
        MiniEcoset(path, split="test")


def test_bad_split_and_missing_file(tmp_path):
    with pytest.raises(ValueError, match=r"split must be one of \['train', 'val', 'test', 'testplus'\]"):
        MiniEcoset(tmp_path / "x.h5", split="training")
    with pytest.raises(FileNotFoundError, match="MiniEcoset file not found"):
        MiniEcoset(tmp_path / "x.h5")


def test_stratified_subset_keeps_every_class_of_a_sorted_split():
    from rnnpop.vision._data import stratified_subset

    labels = np.repeat(np.arange(10), [50] * 5 + [150] * 5)  # stored sorted: the first 100 are two classes
    index = stratified_subset(labels, 100, seed=3)
    assert len(index) == 100 and np.all(np.diff(index) > 0)
    np.testing.assert_array_equal(np.bincount(labels[index]), [5] * 5 + [15] * 5)  # each class its share
    assert not np.array_equal(index, stratified_subset(labels, 100, seed=4))
    np.testing.assert_array_equal(index, stratified_subset(labels, 100, seed=3))
    odd = stratified_subset(np.repeat([0, 1, 2], [3, 3, 3]), 4, seed=0)  # remainders: 4 of 9 over 3 classes
    assert len(odd) == 4 and set(np.repeat([0, 1, 2], 3)[odd]) == {0, 1, 2}
