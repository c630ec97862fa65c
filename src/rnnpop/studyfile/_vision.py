"""The vision study file (``kind = "vision"``): BLT-family networks on images, then the
representation-dynamics analyses of Thorat, Doerig & Kietzmann (CCN 2023)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, ClassVar

from ._schema import (StudyError, check_keys, choice_list, get_table, non_empty_list, number, positive_int,
                      unknown_value)

SOURCES = ("standin", "miniecoset")
EVAL_SPLITS = ("val", "test", "testplus")
_TOP = ["kind", "name", "seed", "data", "model", "train"]
_DATA = ["source", "path", "n_train", "n_test", "n_classes", "eval_split", "max_train", "max_test"]
_MODEL = ["variants", "interactions", "widths", "image_size", "n_steps", "kernel", "readout_bias"]
_TRAIN = ["epochs", "batch_size", "learning_rate", "n_seeds", "augment", "eval_batch"]


@dataclasses.dataclass(frozen=True)
class VisionData:
    """Where the images come from: the seeded ``standin`` set (``n_train`` / ``n_test``
    images of ``n_classes`` shapes) or a user's ``miniecoset`` HDF5 file at ``path``
    (training on ``train``, analyses on ``eval_split``, ``testplus`` as the authors;
    ``max_train`` / ``max_test`` take a random subset stratified by class, drawn with the
    study seed, 0 = all)."""

    source: str = "standin"
    path: str | None = None
    n_train: int = 4000
    n_test: int = 1000
    n_classes: int = 10
    eval_split: str = "testplus"
    max_train: int = 0
    max_test: int = 0


@dataclasses.dataclass(frozen=True)
class VisionModels:
    """The networks: every ``variants`` × ``interactions``, shaped by the rest
    (see :class:`rnnpop.vision.BLTConfig`; the defaults are the paper's)."""

    variants: tuple[str, ...] = ("B", "BL", "BT", "BLT")
    interactions: tuple[str, ...] = ("additive", "multiplicative")
    widths: tuple[int, ...] = (32, 64, 128, 256, 512)
    image_size: int = 64
    n_steps: int = 10
    kernel: int = 3
    readout_bias: bool = False


@dataclasses.dataclass(frozen=True)
class VisionTraining:
    """Adam at ``learning_rate`` for ``epochs`` over the training images in batches of
    ``batch_size``, TrivialAugment-style when ``augment``; ``n_seeds`` networks per model."""

    epochs: int = 10
    batch_size: int = 64
    learning_rate: float = 1e-3
    n_seeds: int = 1
    augment: bool = True
    eval_batch: int = 100


@dataclasses.dataclass(frozen=True)
class ModelPlan:
    """One unit of work: one network (variant, interaction, seed index)."""

    variant: str
    interaction: str
    seed: int

    @property
    def model_id(self) -> str:
        return f"{self.variant}-{self.interaction}-s{self.seed}"

    unit_id = model_id


@dataclasses.dataclass(frozen=True)
class VisionStudy:
    """A resolved vision study. ``models()`` lists the networks to train; the variant B
    (no recurrence) is trained once per seed, whatever the interactions."""

    name: str
    seed: int
    data: VisionData
    model: VisionModels
    train: VisionTraining

    kind: ClassVar[str] = "vision"

    def units_of_work(self) -> list[ModelPlan]:
        """What is trained, each written to the store as one unit: the networks."""
        return self.models()

    def models(self) -> list[ModelPlan]:
        plans = []
        for variant in self.model.variants:
            for interaction in (self.model.interactions[:1] if variant == "B" else self.model.interactions):
                plans.extend(ModelPlan(variant, interaction, s) for s in range(self.train.n_seeds))
        return plans

    def config(self, plan: ModelPlan, n_classes: int):
        """The :class:`rnnpop.vision.BLTConfig` of ``plan``."""
        from ..vision import BLTConfig

        m = self.model
        return BLTConfig(variant=plan.variant, interaction=plan.interaction, widths=m.widths,
                         image_size=m.image_size, n_classes=n_classes, n_steps=m.n_steps, kernel=m.kernel,
                         readout_bias=m.readout_bias)

    def to_dict(self) -> dict[str, Any]:
        def plain(obj):
            return {k: (list(v) if isinstance(v, tuple) else v) for k, v in dataclasses.asdict(obj).items()
                    if v is not None}

        return {"kind": "vision", "name": self.name, "seed": self.seed, "data": plain(self.data),
                "model": plain(self.model), "train": plain(self.train)}

    def training_dict(self) -> dict[str, Any]:
        return self.to_dict()


def parse_vision_study(data: dict[str, Any], *, base: Path | None = None) -> VisionStudy:
    """Validate a vision study given as a dict; a relative ``data.path`` is taken relative
    to ``base`` (the study file's folder). Raises :class:`StudyError` naming the field."""
    from ..vision import INTERACTIONS, VARIANTS

    check_keys(data, _TOP, "")
    name = data.get("name", "vision")
    if not isinstance(name, str) or not name or any(c in name for c in "/\\") or name.startswith("."):
        raise StudyError(f"name must be a non-empty string without '/' or a leading '.', got {name!r}")
    seed = positive_int(data.get("seed", 0), "seed", minimum=0)
    sections = {k: get_table(data, k, "") for k in ("data", "model", "train")}
    for key, allowed in (("data", _DATA), ("model", _MODEL), ("train", _TRAIN)):
        check_keys(sections[key], allowed, key)
    d, m, t = sections["data"], sections["model"], sections["train"]
    defaults_d, defaults_m, defaults_t = VisionData(), VisionModels(), VisionTraining()

    source = d.get("source", "standin")
    if source not in SOURCES:
        raise unknown_value("data.source", source, SOURCES)
    path = d.get("path")
    if source == "miniecoset":
        if not isinstance(path, str) or not path:
            raise StudyError("data.path must name the MiniEcoset HDF5 file when data.source = 'miniecoset'")
        resolved = Path(path).expanduser()
        if not resolved.is_absolute() and base is not None:
            resolved = base / resolved
        if not resolved.is_file():
            raise StudyError(f"data.path: MiniEcoset file not found: {resolved}")
        path = str(resolved.resolve())
    elif path is not None:
        raise StudyError("data.path is only used with data.source = 'miniecoset'")
    eval_split = d.get("eval_split", defaults_d.eval_split)
    if eval_split not in EVAL_SPLITS:
        raise unknown_value("data.eval_split", eval_split, EVAL_SPLITS)
    n_classes = positive_int(d.get("n_classes", defaults_d.n_classes), "data.n_classes", minimum=2)
    if source == "standin" and n_classes > 10:
        raise StudyError(f"data.n_classes must be between 2 and 10 for the stand-in, got {n_classes}")
    vision_data = VisionData(
        source=source, path=path, eval_split=eval_split, n_classes=n_classes,
        n_train=positive_int(d.get("n_train", defaults_d.n_train), "data.n_train"),
        n_test=positive_int(d.get("n_test", defaults_d.n_test), "data.n_test"),
        max_train=positive_int(d.get("max_train", 0), "data.max_train", minimum=0),
        max_test=positive_int(d.get("max_test", 0), "data.max_test", minimum=0))

    widths = non_empty_list(m.get("widths", list(defaults_m.widths)), "model.widths")
    if len(widths) != 5:
        raise StudyError(f"model.widths must list 5 channel counts (retina, v1, v2, v4, it), got {widths!r}")
    readout_bias = m.get("readout_bias", False)
    augment = t.get("augment", True)
    for field, value in (("model.readout_bias", readout_bias), ("train.augment", augment)):
        if not isinstance(value, bool):
            raise StudyError(f"{field} must be true or false, got {value!r}")
    models = VisionModels(
        variants=choice_list(m.get("variants", list(defaults_m.variants)), "model.variants", list(VARIANTS)),
        interactions=choice_list(m.get("interactions", list(defaults_m.interactions)), "model.interactions",
                                 list(INTERACTIONS)),
        widths=tuple(positive_int(w, "model.widths") for w in widths),
        image_size=positive_int(m.get("image_size", defaults_m.image_size), "model.image_size", minimum=8),
        n_steps=positive_int(m.get("n_steps", defaults_m.n_steps), "model.n_steps", minimum=2),
        kernel=positive_int(m.get("kernel", defaults_m.kernel), "model.kernel"),
        readout_bias=readout_bias)
    if models.image_size % 8:
        raise StudyError(f"model.image_size must be a multiple of 8, got {models.image_size}")
    if models.kernel % 2 == 0:
        raise StudyError(f"model.kernel must be odd, got {models.kernel}")
    if source == "standin" and models.image_size < 16:
        raise StudyError(f"model.image_size must be >= 16 for the stand-in, got {models.image_size}")
    training = VisionTraining(
        epochs=positive_int(t.get("epochs", defaults_t.epochs), "train.epochs"),
        batch_size=positive_int(t.get("batch_size", defaults_t.batch_size), "train.batch_size"),
        learning_rate=number(t.get("learning_rate", defaults_t.learning_rate), "train.learning_rate", low=0.0,
                             low_open=True),
        n_seeds=positive_int(t.get("n_seeds", defaults_t.n_seeds), "train.n_seeds"),
        augment=augment,
        eval_batch=positive_int(t.get("eval_batch", defaults_t.eval_batch), "train.eval_batch"))
    return VisionStudy(name=name, seed=seed, data=vision_data, model=models, train=training)
