"""TrivialAugmentWide (Müller & Hutter 2021) as torchvision defines it, the augmentation of
the authors' training script (``transforms.TrivialAugmentWide()``: defaults, nearest
interpolation, fill 0).

Per image, one of 14 operations is drawn uniformly, then one of 31 magnitude bins
uniformly, and for the signed operations a sign with probability ½. The operations are
torchvision's on PIL images, through the same Pillow calls: affine maps (shear about the
top-left corner, translation by whole pixels, rotation about the centre) with nearest
interpolation and black fill; ``ImageEnhance`` for brightness, colour, contrast and
sharpness at factor 1 + magnitude; ``ImageOps`` for posterize, solarize, autocontrast and
equalize.
"""

from __future__ import annotations

import math

import numpy as np

N_BINS = 31
OPERATIONS = ("Identity", "ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate", "Brightness", "Color",
              "Contrast", "Sharpness", "Posterize", "Solarize", "AutoContrast", "Equalize")


def magnitude_bins(operation: str, n_bins: int = N_BINS) -> tuple[np.ndarray | None, bool]:
    """``(magnitudes (n_bins,) or None, signed)`` of one operation (torchvision's
    ``TrivialAugmentWide._augmentation_space``)."""
    if operation in ("ShearX", "ShearY", "Brightness", "Color", "Contrast", "Sharpness"):
        return np.linspace(0.0, 0.99, n_bins), True
    if operation in ("TranslateX", "TranslateY"):
        return np.linspace(0.0, 32.0, n_bins), True
    if operation == "Rotate":
        return np.linspace(0.0, 135.0, n_bins), True
    if operation == "Posterize":
        return 8 - np.round(np.arange(n_bins) / ((n_bins - 1) / 6)).astype(int), False
    if operation == "Solarize":
        return np.linspace(255.0, 0.0, n_bins), False
    if operation in ("Identity", "AutoContrast", "Equalize"):
        return None, False
    raise ValueError(f"operation must be one of {list(OPERATIONS)}, got {operation!r}")


def _inverse_affine(center, angle: float, translate, shear) -> list[float]:
    """The output → input map of torchvision's affine (scale 1), as Pillow's 6 coefficients."""
    rot, sx, sy = math.radians(angle), math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    m = [d, -b, 0.0, -c, a, 0.0]  # the inverse of [[a, b], [c, d]] (determinant 1)
    m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty) + cx
    m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty) + cy
    return m


def apply_operation(image: np.ndarray, operation: str, magnitude: float) -> np.ndarray:
    """One operation on one ``image (H, W, 3)`` uint8 at ``magnitude`` (signed already)."""
    from PIL import Image, ImageEnhance, ImageOps

    pil = Image.fromarray(image)
    width, height = pil.size
    if operation in ("ShearX", "ShearY"):
        degrees = math.degrees(math.atan(magnitude))
        shear = (degrees, 0.0) if operation == "ShearX" else (0.0, degrees)
        out = pil.transform(pil.size, Image.AFFINE, _inverse_affine((0.0, 0.0), 0.0, (0, 0), shear),
                            Image.NEAREST, fillcolor=(0, 0, 0))
    elif operation in ("TranslateX", "TranslateY"):
        shift = (int(magnitude), 0) if operation == "TranslateX" else (0, int(magnitude))
        out = pil.transform(pil.size, Image.AFFINE,
                            _inverse_affine((width * 0.5, height * 0.5), 0.0, shift, (0.0, 0.0)),
                            Image.NEAREST, fillcolor=(0, 0, 0))
    elif operation == "Rotate":
        out = pil.rotate(magnitude, Image.NEAREST, expand=False, fillcolor=(0, 0, 0))
    elif operation in ("Brightness", "Color", "Contrast", "Sharpness"):
        out = getattr(ImageEnhance, operation)(pil).enhance(1.0 + magnitude)
    elif operation == "Posterize":
        out = ImageOps.posterize(pil, int(magnitude))
    elif operation == "Solarize":
        out = ImageOps.solarize(pil, magnitude)
    elif operation == "AutoContrast":
        out = ImageOps.autocontrast(pil)
    elif operation == "Equalize":
        out = ImageOps.equalize(pil)
    elif operation == "Identity":
        out = pil
    else:
        raise ValueError(f"operation must be one of {list(OPERATIONS)}, got {operation!r}")
    return np.asarray(out, np.uint8)


def trivial_augment_wide(images: np.ndarray, *, seed: int) -> np.ndarray:
    """TrivialAugmentWide on each image of ``images (B, H, W, 3)`` uint8, drawn with ``seed``:
    uint8 of the same shape."""
    rng = np.random.default_rng(seed)
    out = np.empty_like(images)
    for i, image in enumerate(images):
        operation = OPERATIONS[rng.integers(len(OPERATIONS))]
        magnitudes, signed = magnitude_bins(operation)
        magnitude = float(magnitudes[rng.integers(N_BINS)]) if magnitudes is not None else 0.0
        if signed and rng.integers(2):
            magnitude = -magnitude
        out[i] = apply_operation(image, operation, magnitude)
    return out
