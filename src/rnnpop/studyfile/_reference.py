"""The study-file reference, generated from the parsers themselves: every key each section
accepts, its default (from a study parsed with nothing given) and what the validator
allows (from the message it gives for a value it refuses). ``docs/hooks.py`` puts it in
the documentation, so the page cannot drift from the code."""

from __future__ import annotations

import copy
from typing import Any

DESCRIPTIONS = {
    "kind": "universality (default), vision, or imported (written by `rnnpop import`)",
    "name": "the study's name; the default run directory is runs/<name>",
    "seed": "every random draw of the study derives from it (with the group or network id)",
    "grid.tasks": "the tasks trained",
    "grid.cells": "cell types, crossed with grid.activations (or give grid.configurations)",
    "grid.activations": "activations, crossed with grid.cells",
    "grid.configurations": "explicit cell-activation pairs, instead of cells × activations",
    "grid.units": "hidden units (one group per width)",
    "grid.l2": "L2 strengths searched per configuration",
    "search.n_search": "random-search draws per L2 strength (the best by validation loss is kept)",
    "search.n_seeds": "seed networks trained with the best draw",
    "search.clip": "gradient-norm clip range [low, high], drawn log-uniformly",
    "search.learning_rate": "learning-rate range, drawn log-uniformly",
    "search.decay": "learning-rate decay factor range, drawn uniformly",
    "search.momentum": "momentum (β1) range, drawn uniformly",
    "train.n_iterations": "training iterations per network",
    "train.batch_size": "trials per iteration",
    "train.decay_steps": "iterations per learning-rate decay step (default n_iterations / 4)",
    "train.log_every": "iterations per logged loss point and per compiled chunk; divides n_iterations",
    "train.validation_size": "trials of the shared validation batch",
    "train.matmul": "operands of the training loss's recurrent products: float32 (default) or bfloat16 "
                    "(float32 accumulation; a CPU with AVX512-BF16)",
    "tasks.flipflop.n_bits": "bits (input and output channels)",
    "tasks.flipflop.n_time": "steps per trial",
    "tasks.flipflop.p_flip": "probability of a pulse per bit and step",
    "tasks.flipflop.initial_pulse": "pulse every bit at t = 0 (as FixedPointFinder's FlipFlopData)",
    "tasks.sine.n_time": "steps per trial",
    "tasks.sine.n_frequencies": "trained frequencies, evenly spaced",
    "tasks.sine.omega_min": "lowest frequency (radians per step)",
    "tasks.sine.omega_max": "highest frequency (radians per step)",
    "tasks.context.n_contexts": "contexts (and input streams)",
    "tasks.context.n_time": "steps per trial",
    "tasks.context.noise_std": "standard deviation of the streams' noise",
    "analysis.similarity": "representational distances computed",
    "analysis.probe_samples": "at least this many trial × time samples per network's representation",
    "analysis.variance": "SVCCA keeps the leading directions explaining this share of variance",
    "analysis.untrained": "compare with the untrained networks too",
    "analysis.lstm_state": "an LSTM's representation: hidden (h, what the readout sees) or full ([h; c])",
    "analysis.max_relative_loss": "analyse a network only if its validation loss ≤ this × the constant-output loss",
    "analysis.min_networks": "configurations with fewer analysed networks are left out of comparisons",
    "analysis.dynamics": "find fixed points and compare topologies",
    "analysis.n_initial_states": "starting states of the fixed-point search per condition",
    "analysis.initial_noise": "noise added to the starts, in units of the states' spread",
    "analysis.q_threshold": "q (speed) at or below which a point is exact",
    "analysis.slow_fraction": "slow points: one trial moves the state by at most this share of its spread",
    "analysis.dsa_delays": "DSA: delays of the embedding of each network's probe trajectories",
    "analysis.dsa_rank": "DSA: rank of each network's HAVOK operator",
    "analysis.dsa_score": "DSA: angular (Procrustes over vector fields) or wasserstein (eigenvalues)",
    "cluster.kind": "the scheduler",
    "cluster.queue": "SLURM partition",
    "cluster.account": "SLURM account",
    "cluster.cores": "cores per job",
    "cluster.processes": "Dask workers per job",
    "cluster.memory": "memory per job",
    "cluster.gpus": "GPUs per job (--gres=gpu:N)",
    "cluster.walltime": "job time limit",
    "cluster.jobs": "jobs started",
    "cluster.job_directives": "extra #SBATCH lines",
    "cluster.prologue": "shell lines run before the worker starts",
    "cluster.log_directory": "where job logs go (inside the run directory)",
    "data.source": "standin (bundled, generated) or miniecoset (your HDF5 file)",
    "data.path": "the MiniEcoset HDF5 file (relative to the study file)",
    "data.n_train": "stand-in training images",
    "data.n_test": "stand-in held-out images",
    "data.n_classes": "stand-in classes",
    "data.eval_split": "MiniEcoset split the analyses use",
    "data.max_train": "class-stratified subset of the training images (0: all)",
    "data.max_test": "class-stratified subset of the held-out images (0: all)",
    "model.variants": "BLT-family variants (B once per seed)",
    "model.interactions": "how lateral and top-down drive meet bottom-up",
    "model.widths": "channels of retina, v1, v2, v4, it",
    "model.image_size": "image side in pixels",
    "model.n_steps": "time steps per image",
    "model.kernel": "convolution kernel size",
    "model.readout_bias": "a bias in the readout",
    "train.epochs": "training epochs (vision)",
    "train.learning_rate": "Adam's learning rate (vision)",
    "train.n_seeds": "networks per variant and interaction (vision)",
    "train.augment": "TrivialAugmentWide on training images (vision)",
    "train.eval_batch": "images per evaluation batch (vision)",
}

PROBES = ["not-a-choice", -1, 0, 1.5, "x"]


def _allowed(kind: str, section: str, key: str, defaults: dict) -> str:
    """What the validator says about values it refuses for ``section.key``."""
    from ._schema import StudyError
    from ._study import parse_study

    messages = []
    for probe in PROBES:
        data = copy.deepcopy(defaults)
        data["kind"] = kind
        if "grid" in data:  # cells × activations or configurations, never both
            crossed = section == "grid" and key in ("cells", "activations")
            for other in ("configurations",) if crossed else ("cells", "activations"):
                data["grid"].pop(other, None)
        target = data
        for part in section.split(".") if section else []:
            target = target.setdefault(part, {})
        current = target.get(key)
        value = [probe] if isinstance(current, list) and not (key in ("clip", "learning_rate", "decay", "momentum")
                                                              and kind == "universality") else probe
        target[key] = value
        try:
            parse_study(data)
        except StudyError as err:
            text = str(err)
            if "allowed" in text:
                return text[text.index("allowed"):].replace("allowed: ", "one of ")
            messages.append(text.split(", got")[0].split(": ", 1)[-1] if ": " in text else text.split(", got")[0])
        except (TypeError, ValueError):
            continue
    rules = sorted({m.replace(f"{section}.{key}" if section else key, "").strip() for m in messages} - {""})
    return "; ".join(rules[:2])


def _rows(kind: str, section: str, keys: list[str], defaults: dict) -> list[str]:
    values = defaults
    for part in section.split(".") if section else []:
        values = values.get(part, {})
    rows = []
    for key in keys:
        name = f"{section}.{key}" if section else key
        default = values.get(key, "—") if isinstance(values, dict) else "—"
        shown = "—" if isinstance(default, dict) else f"`{_toml(default)}`" if default != "—" else "—"
        rows.append(f"| `{key}` | {_type(default)} | {shown} | {_allowed(kind, section, key, defaults)} | "
                    f"{DESCRIPTIONS.get(name, '').replace('<', '&lt;').replace('>', '&gt;')} |")
    return rows


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return repr(value)


def _type(value: Any) -> str:
    if value == "—":
        return "—"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, list):
        inner = {_type(v) for v in value}
        return f"list of {inner.pop()}" if len(inner) == 1 else "list"
    return {int: "int", float: "float", str: "string"}.get(type(value), type(value).__name__)


def section_keys() -> dict[tuple[str, str], list[str]]:
    """Every (kind, section) and the keys its parser accepts."""
    from . import _study, _vision
    from ..tasks import TASKS

    keys = {("universality", ""): [k for k in _study._TOP if k not in ("grid", "search", "train", "tasks",
                                                                       "analysis", "cluster")],
            ("universality", "grid"): _study._GRID, ("universality", "search"): _study._SEARCH,
            ("universality", "train"): _study._TRAIN}
    import dataclasses

    for name, cls in TASKS.items():
        keys[("universality", f"tasks.{name}")] = [f.name for f in dataclasses.fields(cls) if f.init]
    keys[("universality", "analysis")] = _study._ANALYSIS
    keys[("universality", "cluster")] = _study._CLUSTER
    keys[("vision", "")] = [k for k in _vision._TOP if k not in ("data", "model", "train")]
    keys[("vision", "data")] = _vision._DATA
    keys[("vision", "model")] = _vision._MODEL
    keys[("vision", "train")] = _vision._TRAIN
    return keys


def reference_markdown() -> str:
    """The study-file reference as Markdown tables, one per section."""
    from ._study import parse_study

    from ..models import ACTIVATION_NAMES
    from ._study import PAPER_CELLS

    universality = {"kind": "universality", **parse_study({"cluster": {}}).to_dict()}
    universality["grid"].update(cells=list(PAPER_CELLS), activations=list(ACTIVATION_NAMES))  # what the default crosses
    defaults = {"universality": universality, "vision": parse_study({"kind": "vision"}).to_dict()}
    out = []
    for (kind, section), keys in section_keys().items():
        title = f"[{section}]" if section else "top level"
        out += [f"### {kind}: {title}", "", "| key | type | default | allowed | meaning |", "|---|---|---|---|---|"]
        out += _rows(kind, section, keys, defaults[kind])
        out.append("")
    return "\n".join(out)
