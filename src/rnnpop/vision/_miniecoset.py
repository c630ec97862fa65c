"""A user's copy of MiniEcoset (HDF5), read lazily."""

from __future__ import annotations

from pathlib import Path

import numpy as np

SPLITS = ("train", "val", "test", "testplus")


class MiniEcoset:
    """One split of the MiniEcoset HDF5 file.

    The file has root datasets ``categories`` (byte strings), ``train_img_mean_channels``
    and ``train_img_std_channels`` (per RGB channel, 0–255 scale), and one group per
    split with ``data (N, H, W, 3)`` uint8 and ``labels (N,)``. Images are read only when
    indexed. ``ds[i]`` / ``ds[a:b]`` / ``ds[[i, j]]`` give ``(images, labels)`` with images
    normalised by the file's training statistics, float32 ``(..., H, W, 3)``;
    :meth:`raw` gives the uint8 images (for augmentation before normalising).

    Example:
        >>> train = MiniEcoset("miniecoset_100obj_64px.h5", split="train")
        >>> images, labels = train[:128]
    """

    def __init__(self, path: str | Path, split: str = "train"):
        import h5py

        if split not in SPLITS:
            raise ValueError(f"split must be one of {list(SPLITS)}, got {split!r}")
        self.path = Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"MiniEcoset file not found: {self.path}")
        self.split = split
        self._file = h5py.File(self.path, "r")
        for key in ("categories", "train_img_mean_channels", "train_img_std_channels", split,
                    f"{split}/data", f"{split}/labels"):
            if key not in self._file:
                self._file.close()
                raise KeyError(f"{self.path}: missing '{key}' (a MiniEcoset file has categories, "
                               f"train_img_mean_channels, train_img_std_channels and groups {list(SPLITS)} "
                               "with data and labels)")
        self._data = self._file[f"{split}/data"]
        self._labels = self._file[f"{split}/labels"]
        if self._data.ndim != 4 or self._data.shape[-1] != 3:
            raise ValueError(f"{self.path}: '{split}/data' must be (N, H, W, 3), got {self._data.shape}")
        if self._labels.shape != self._data.shape[:1]:
            raise ValueError(f"{self.path}: '{split}/labels' must be ({self._data.shape[0]},), "
                             f"got {self._labels.shape}")
        self.mean = np.asarray(self._file["train_img_mean_channels"], np.float32).reshape(3)
        self.std = np.asarray(self._file["train_img_std_channels"], np.float32).reshape(3)
        self.categories = [c.decode() if isinstance(c, bytes) else str(c) for c in self._file["categories"][()]]

    def __len__(self) -> int:
        return self._data.shape[0]

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(self._data.shape[1:])

    @property
    def labels(self) -> np.ndarray:
        """Every label of the split, ``(N,)``."""
        return np.asarray(self._labels[()])

    def raw(self, index) -> tuple[np.ndarray, np.ndarray]:
        """``(uint8 images, int64 labels)`` at ``index`` (int, slice or sorted/unsorted array)."""
        if isinstance(index, (int, np.integer, slice)):
            return np.asarray(self._data[index]), np.asarray(self._labels[index]).astype(np.int64)
        index = np.asarray(index)
        order = np.argsort(index)  # h5py reads increasing indices only
        images = np.empty((len(index), *self.image_shape), np.uint8)
        images[order] = self._data[index[order]]
        return images, self.labels[index].astype(np.int64)

    def normalise(self, images: np.ndarray) -> np.ndarray:
        """uint8 ``(..., H, W, 3)`` → float32 with the file's training mean and std."""
        return (np.asarray(images, np.float32) - self.mean) / self.std

    def __getitem__(self, index) -> tuple[np.ndarray, np.ndarray]:
        images, labels = self.raw(index)
        return self.normalise(images), labels

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> "MiniEcoset":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
