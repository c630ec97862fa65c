"""The images of a vision study: the seeded stand-in or a user's MiniEcoset file, behind
one small interface (uint8 reads by index, normalisation with training statistics)."""

from __future__ import annotations

import dataclasses

import numpy as np

from ._miniecoset import MiniEcoset
from ._standin import SHAPES, standin_dataset


@dataclasses.dataclass(frozen=True)
class ImageSet:
    """A split held in memory: ``images (N, H, W, 3)`` uint8, ``labels (N,)``, with the
    per-channel ``mean`` / ``std`` (0–255 scale) of the training split."""

    images: np.ndarray
    labels: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    categories: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.labels)

    def raw(self, index) -> tuple[np.ndarray, np.ndarray]:
        return self.images[index], self.labels[index]

    def normalise(self, images: np.ndarray) -> np.ndarray:
        """uint8 ``(B, H, W, 3)`` → float32 ``(B, 3, H, W)``, the layout the networks take."""
        return ((np.asarray(images, np.float32) - self.mean) / self.std).transpose(0, 3, 1, 2)


def stratified_subset(labels: np.ndarray, n: int, *, seed: int) -> np.ndarray:
    """Sorted indices of ``n`` of ``labels (N,)`` drawn at random with ``seed``, each class
    represented in proportion to its share (largest remainders for the rounding), so a
    split stored sorted by class still gives every class."""
    labels = np.asarray(labels)
    if not 0 < n < len(labels):
        return np.arange(len(labels))
    classes, counts = np.unique(labels, return_counts=True)
    quota = counts * n / len(labels)
    take = np.floor(quota).astype(int)
    take[np.argsort(take - quota)[: n - take.sum()]] += 1  # the largest remainders get the rest
    rng = np.random.default_rng(seed)
    picked = [rng.choice(np.flatnonzero(labels == c), k, replace=False) for c, k in zip(classes, take)]
    return np.sort(np.concatenate(picked))


class _Limited:
    """A MiniEcoset split (lazy), or a stratified random subset of ``n`` of its images
    (``n = 0``: all), in the network layout."""

    def __init__(self, split: MiniEcoset, n: int, seed: int):
        self.split = split
        self.index = (stratified_subset(split.labels, n, seed=seed) if n
                      else np.arange(len(split)))
        self.categories = tuple(split.categories)

    def __len__(self) -> int:
        return len(self.index)

    def raw(self, index):
        return self.split.raw(self.index[index])

    def normalise(self, images):
        return self.split.normalise(images).transpose(0, 3, 1, 2)


def load_images(data, image_size: int, *, seed: int):
    """``(train, validation, test)`` for a :class:`rnnpop.studyfile.VisionData`: the stand-in
    drawn with ``2·seed`` (test images with ``2·seed + 1``, as many validation images with
    ``2·seed + 1_000_001``), or MiniEcoset's ``train``, ``val`` and ``data.eval_split``
    (``max_train`` / ``max_test``: stratified random subsets drawn with the study seed;
    the validation subset as large as the test one). Raises ``ValueError`` naming ``model.image_size`` when the file's
    images have another size."""
    if data.source == "standin":
        train_x, train_y = standin_dataset(data.n_train, n_classes=data.n_classes, size=image_size, seed=2 * seed)
        test_x, test_y = standin_dataset(data.n_test, n_classes=data.n_classes, size=image_size, seed=2 * seed + 1)
        val_x, val_y = standin_dataset(data.n_test, n_classes=data.n_classes, size=image_size,
                                       seed=2 * seed + 1_000_001)
        pixels = train_x.reshape(-1, 3).astype(np.float64)
        mean, std = pixels.mean(axis=0).astype(np.float32), pixels.std(axis=0).astype(np.float32)
        categories = tuple(SHAPES[: data.n_classes])
        return tuple(ImageSet(x, y, mean, std, categories)
                     for x, y in ((train_x, train_y), (val_x, val_y), (test_x, test_y)))
    train = MiniEcoset(data.path, "train")
    if train.image_shape[:2] != (image_size, image_size):
        size = train.image_shape[:2]
        train.close()
        raise ValueError(f"model.image_size is {image_size} but the MiniEcoset file {data.path} holds "
                         f"{size[0]}×{size[1]} images; set model.image_size = {size[0]}")
    return (_Limited(train, data.max_train, seed), _Limited(MiniEcoset(data.path, "val"), data.max_test, seed + 2),
            _Limited(MiniEcoset(data.path, data.eval_split), data.max_test, seed + 1))
