import numpy as np
import pytest

from rnnpop.vision import standin_dataset
from rnnpop.vision._standin import SHAPES, _mask


def test_seeded_balanced_uint8_images():
    a, la = standin_dataset(40, n_classes=4, size=32, seed=5)
    b, lb = standin_dataset(40, n_classes=4, size=32, seed=5)
    c, _ = standin_dataset(40, n_classes=4, size=32, seed=6)
    assert a.shape == (40, 32, 32, 3) and a.dtype == np.uint8 and la.dtype == np.int64
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(la, lb)
    assert not np.array_equal(a, c)
    assert np.bincount(la).tolist() == [10, 10, 10, 10]


def test_every_shape_is_a_distinct_non_empty_mask():
    yy, xx = np.mgrid[0:64, 0:64].astype(np.float32)
    masks = [_mask(s, yy, xx, 32, 32, 14, 0.3) for s in SHAPES]
    areas = [m.sum() for m in masks]
    assert min(areas) > 30
    for i in range(len(masks)):
        for j in range(i + 1, len(masks)):
            assert (masks[i] ^ masks[j]).sum() > 20, (SHAPES[i], SHAPES[j])


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="n_classes must be between 2 and 10"):
        standin_dataset(4, n_classes=11)
