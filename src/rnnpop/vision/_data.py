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


class _Limited:
    """The first ``n`` images of a MiniEcoset split (lazy), in the network layout."""

    def __init__(self, split: MiniEcoset, n: int):
        self.split, self.n = split, (min(n, len(split)) if n else len(split))
        self.categories = tuple(split.categories)

    def __len__(self) -> int:
        return self.n

    def raw(self, index):
        index = np.arange(self.n)[index]
        return self.split.raw(index)

    def normalise(self, images):
        return self.split.normalise(images).transpose(0, 3, 1, 2)


def load_images(data, image_size: int, *, seed: int):
    """``(train, test)`` for a :class:`rnnpop.studyfile.VisionData`: the stand-in drawn with
    ``2·seed`` (test images with ``2·seed + 1``), or MiniEcoset's ``train`` and
    ``data.eval_split``. Raises ``ValueError`` naming ``model.image_size`` when the file's
    images have another size."""
    if data.source == "standin":
        train_x, train_y = standin_dataset(data.n_train, n_classes=data.n_classes, size=image_size, seed=2 * seed)
        test_x, test_y = standin_dataset(data.n_test, n_classes=data.n_classes, size=image_size, seed=2 * seed + 1)
        pixels = train_x.reshape(-1, 3).astype(np.float64)
        mean, std = pixels.mean(axis=0).astype(np.float32), pixels.std(axis=0).astype(np.float32)
        categories = tuple(SHAPES[: data.n_classes])
        return (ImageSet(train_x, train_y, mean, std, categories), ImageSet(test_x, test_y, mean, std, categories))
    train = MiniEcoset(data.path, "train")
    if train.image_shape[:2] != (image_size, image_size):
        size = train.image_shape[:2]
        train.close()
        raise ValueError(f"model.image_size is {image_size} but the MiniEcoset file {data.path} holds "
                         f"{size[0]}×{size[1]} images; set model.image_size = {size[0]}")
    return _Limited(train, data.max_train), _Limited(MiniEcoset(data.path, data.eval_split), data.max_test)
