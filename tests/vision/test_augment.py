"""TrivialAugmentWide, operation by operation, against each operation's definition."""

import numpy as np
import pytest

from rnnpop.vision._augment import OPERATIONS, apply_operation, magnitude_bins, trivial_augment_wide

rng = np.random.default_rng(0)
IMAGE = rng.integers(0, 256, size=(16, 16, 3), dtype=np.uint8)


def test_fourteen_operations_and_torchvisions_magnitude_bins():
    assert len(OPERATIONS) == 14
    shear, signed = magnitude_bins("ShearX")
    assert signed and len(shear) == 31 and shear[0] == 0 and shear[-1] == pytest.approx(0.99)
    assert magnitude_bins("TranslateY")[0][-1] == 32.0 and magnitude_bins("Rotate")[0][-1] == 135.0
    posterize, signed = magnitude_bins("Posterize")
    assert not signed and posterize[0] == 8 and posterize[-1] == 2 and np.all(np.diff(posterize) <= 0)
    solarize, _ = magnitude_bins("Solarize")
    assert solarize[0] == 255 and solarize[-1] == 0
    assert magnitude_bins("Equalize") == (None, False)


def test_identity_and_zero_magnitudes_change_nothing():
    for operation in ("Identity", "ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate", "Brightness", "Color",
                      "Contrast", "Sharpness"):
        np.testing.assert_array_equal(apply_operation(IMAGE, operation, 0.0), IMAGE)


def test_translation_moves_whole_pixels_and_fills_with_black():
    out = apply_operation(IMAGE, "TranslateX", 3.0)
    np.testing.assert_array_equal(out[:, 3:], IMAGE[:, :-3])
    assert np.all(out[:, :3] == 0)
    out = apply_operation(IMAGE, "TranslateY", -5.0)
    np.testing.assert_array_equal(out[:-5], IMAGE[5:])
    assert np.all(out[-5:] == 0)


def test_rotation_by_90_degrees_about_the_centre():
    out = apply_operation(IMAGE, "Rotate", 90.0)  # counter-clockwise, as PIL and torchvision
    np.testing.assert_array_equal(out, np.rot90(IMAGE))


def test_shear_is_about_the_top_left_corner():
    out = apply_operation(IMAGE, "ShearX", 0.5)
    np.testing.assert_array_equal(out[0], IMAGE[0])  # the first row does not move
    row = 8  # x_in = x_out + 0.5 · y (pixel centres): this row shifts left by 4 pixels, black enters
    np.testing.assert_array_equal(out[row, :-4], IMAGE[row, 4:])
    assert np.all(out[row, -4:] == 0)


def test_colour_operations_follow_their_definitions():
    grey = np.full((4, 4, 3), 100, np.uint8)
    assert np.all(apply_operation(grey, "Brightness", 0.5) == 150)  # factor 1.5
    assert np.all(apply_operation(grey, "Brightness", -0.99) == 1)  # factor 0.01, truncated
    assert np.all(apply_operation(grey, "Color", 0.9) == 100)  # no saturation to scale
    assert np.all(apply_operation(grey, "Contrast", 0.9) == 100)  # every pixel at the mean
    two = np.zeros((4, 4, 3), np.uint8)
    two[:2] = 200
    contrast = apply_operation(two, "Contrast", 0.5)  # blend with the grey mean (100) at factor 1.5
    assert np.all(contrast[:2] == 250) and np.all(contrast[2:] == 0)


def test_posterize_solarize_autocontrast_equalize():
    values = np.arange(256, dtype=np.uint8).reshape(16, 16, 1).repeat(3, axis=2)
    np.testing.assert_array_equal(apply_operation(values, "Posterize", 3), values & 0b11100000)
    np.testing.assert_array_equal(apply_operation(values, "Solarize", 128.0),
                                  np.where(values >= 128, 255 - values, values))
    low = (values // 4 + 50).astype(np.uint8)  # 50..113
    stretched = apply_operation(low, "AutoContrast", 0.0)
    scale = 255.0 / (113 - 50)  # PIL: int(v · scale − lo · scale), per channel
    np.testing.assert_array_equal(stretched, (low * scale + (-50 * scale)).astype(int).clip(0, 255))
    assert stretched.min() == 0 and stretched.max() >= 254
    # PIL's equalize: step = (pixels − those of the last level) // 255; lut[i] = min(255, n // step)
    # with n starting at step // 2 and adding each level's count after it is used
    two = np.zeros((32, 32, 3), np.uint8)
    two[:, :16] = 10
    two[:, 16:] = 20  # 512 pixels each: step 2, lut[10] = 1 // 2 = 0, lut[20] = 513 // 2 → 255
    equalised = apply_operation(two, "Equalize", 0.0)
    assert np.all(equalised[:, :16] == 0) and np.all(equalised[:, 16:] == 255)
    np.testing.assert_array_equal(apply_operation(two[:4, 14:18], "Equalize", 0.0), two[:4, 14:18])  # step 0


def test_trivial_augment_wide_is_seeded_and_draws_every_operation():
    images = np.repeat(IMAGE[None], 280, axis=0)
    a, b = trivial_augment_wide(images, seed=1), trivial_augment_wide(images, seed=1)
    np.testing.assert_array_equal(a, b)
    assert a.dtype == np.uint8 and a.shape == images.shape
    assert not np.array_equal(a, trivial_augment_wide(images, seed=2))
    distinct = {a[i].tobytes() for i in range(len(a))}
    assert len(distinct) > 100  # 14 operations × 31 magnitudes × signs: many different images
