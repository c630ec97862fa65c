"""An offline stand-in for MiniEcoset: seeded, procedurally drawn 64×64 RGB objects.

Each image shows one object of its class (a shape drawn at a random position, scale,
small rotation and contrasting colour) among clutter (distractor shapes of other classes, drawn smaller
and paler), partly occluded by a random grey bar, with pixel noise. Nothing is
downloaded; the same ``seed`` always gives the same images.
"""

from __future__ import annotations

import numpy as np

SHAPES = ("disc", "square", "triangle", "cross", "ring", "bar", "diamond", "ellipse", "plus-ring", "chevron")


def _mask(shape: str, yy: np.ndarray, xx: np.ndarray, cy: float, cx: float, r: float, angle: float) -> np.ndarray:
    """Boolean mask of one shape of radius ``r`` centred at (cy, cx), rotated by ``angle``."""
    y, x = yy - cy, xx - cx
    c, s = np.cos(angle), np.sin(angle)
    u, v = c * x + s * y, -s * x + c * y
    if shape == "disc":
        return u**2 + v**2 <= r**2
    if shape == "square":
        return (np.abs(u) <= 0.8 * r) & (np.abs(v) <= 0.8 * r)
    if shape == "triangle":
        return (v <= 0.6 * r) & (v >= -r + 1.7 * np.abs(u))
    if shape == "cross":
        return ((np.abs(u) <= 0.25 * r) | (np.abs(v) <= 0.25 * r)) & (np.abs(u) <= r) & (np.abs(v) <= r)
    if shape == "ring":
        d = u**2 + v**2
        return (d <= r**2) & (d >= (0.55 * r) ** 2)
    if shape == "bar":
        return (np.abs(u) <= r) & (np.abs(v) <= 0.3 * r)
    if shape == "diamond":
        return np.abs(u) + np.abs(v) <= r
    if shape == "ellipse":
        return (u / r) ** 2 + (v / (0.5 * r)) ** 2 <= 1
    if shape == "plus-ring":
        d = u**2 + v**2
        return ((d <= r**2) & (d >= (0.7 * r) ** 2)) | ((np.abs(u) <= 0.2 * r) & (np.abs(v) <= 0.6 * r))
    if shape == "chevron":
        return (np.abs(v - 0.8 * np.abs(u) + 0.3 * r) <= 0.3 * r) & (np.abs(u) <= r)
    raise ValueError(f"unknown shape {shape!r}; known: {list(SHAPES)}")


def standin_dataset(n: int, *, n_classes: int = 10, size: int = 64, n_distractors: int = 2,
                    noise: float = 12.0, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(images (n, size, size, 3) uint8, labels (n,) int64)``, classes balanced and shuffled."""
    if not 2 <= n_classes <= len(SHAPES):
        raise ValueError(f"n_classes must be between 2 and {len(SHAPES)}, got {n_classes}")
    if n < 1 or size < 16:
        raise ValueError(f"n must be >= 1 and size >= 16, got n={n}, size={size}")
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.arange(n) % n_classes).astype(np.int64)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    images = np.empty((n, size, size, 3), np.uint8)
    for i, label in enumerate(labels):
        background = rng.uniform(60, 200, size=3)
        canvas = np.broadcast_to(background, (size, size, 3)).copy()
        for _ in range(rng.integers(0, n_distractors + 1)):
            other = SHAPES[rng.choice([k for k in range(n_classes) if k != label])]
            m = _mask(other, yy, xx, *rng.uniform(0, size, 2), rng.uniform(0.06, 0.12) * size,
                      rng.uniform(0, np.pi))
            canvas[m] = 0.6 * canvas[m] + 0.4 * rng.uniform(0, 255, size=3)
        # the object: upright to within ±0.4 rad (so square and diamond stay distinct), in a
        # colour at least 80 grey levels (summed over channels) from the background
        m = _mask(SHAPES[label], yy, xx, *rng.uniform(0.35, 0.65, 2) * size, rng.uniform(0.24, 0.34) * size,
                  rng.uniform(-0.4, 0.4))
        colour = rng.uniform(0, 255, size=3)
        while np.abs(colour - background).sum() < 80:
            colour = rng.uniform(0, 255, size=3)
        canvas[m] = colour
        if rng.random() < 0.7:  # an occluding bar across part of the scene
            bar = _mask("bar", yy, xx, *rng.uniform(0.2, 0.8, 2) * size, rng.uniform(0.15, 0.3) * size,
                        rng.uniform(0, np.pi))
            canvas[bar] = rng.uniform(80, 180)
        canvas += rng.normal(0, noise, size=canvas.shape)
        images[i] = np.clip(canvas, 0, 255).astype(np.uint8)
    return images, labels
