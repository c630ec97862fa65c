"""The ``rnnpop`` command line: run, train, analyse, report, status, demo."""

from __future__ import annotations

import contextlib
import errno
import importlib.resources
import math
import sys
import time
from pathlib import Path
from typing import Optional

import typer
from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

app = typer.Typer(help="Train and compare populations of recurrent networks.", no_args_is_help=True,
                  add_completion=False)
console = Console(stderr=True)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        print(f"rnnpop {version('rnnpop')}")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print rnnpop's version and exit.")) -> None:
    """Train and compare populations of recurrent networks."""


def _setup_jax() -> None:
    """One single-threaded XLA device per core: the measured fast CPU layout."""
    from .train import configure_cpu

    configure_cpu()


def _bars(*extra) -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), *extra, TimeElapsedColumn(),
                    console=console)


def _bar_per_step(bars: Progress, rate_unit: str = "", per_step: float = 1.0):
    """A :class:`rnnpop._progress.Progress` that opens one bar per step name, showing
    ``per_step`` × steps per second and the running loss when there is one."""
    tasks, starts = {}, {}

    def progress(step, done, total, **values):
        if step not in tasks:
            tasks[step] = bars.add_task(str(step), total=total, rate="-", loss="-")
            starts[step] = time.perf_counter() - 1e-9
        fields = {}
        if rate_unit:
            fields["rate"] = f"{done * per_step / (time.perf_counter() - starts[step]):.0f}"
        if "loss" in values:
            fields["loss"] = "nan" if math.isnan(values["loss"]) else f"{values['loss']:.4g}"
        bars.update(tasks[step], completed=done, total=total, **fields)

    return progress


def _fail(message: str, code: int = 2):
    from rich.markup import escape

    console.print(f"[red]error:[/] {escape(message)}")
    raise typer.Exit(code)


@contextlib.contextmanager
def _guarded(done: str):
    """Bad input → exit 2 naming it; a failed write → what is intact; Ctrl-C → exit 130
    and how to resume."""
    from .store import CorruptGroupError
    from .studies import UntrainedUnitsError
    from .studyfile import StudyError

    try:
        yield
    except (StudyError, FloatingPointError, UntrainedUnitsError, FileNotFoundError) as err:
        _fail(str(err))
    except CorruptGroupError as err:
        _fail(f"{err}; `rnnpop analyse` computes a corrupt analysis again, `rnnpop run` retrains a corrupt unit")
    except OSError as err:
        _write_failed(err)
    except KeyboardInterrupt:
        console.print(f"[yellow]interrupted[/]: completed {done} are kept; run the same command to resume")
        raise typer.Exit(130)


def _run(study, root: Path) -> None:
    from .studies import kind_of

    kind = kind_of(study)
    units = study.units_of_work()
    console.print(f"[bold]{study.name}[/]: {len(units)} unit(s) of training ({kind.name} study) → {root}")
    rate_unit, per_step = kind.rate(study)
    with _bars(TextColumn("{task.fields[rate]:>7} " + rate_unit + "  loss {task.fields[loss]}")) as bars, \
            _guarded("units"):
        kind.train(study, root, progress=_bar_per_step(bars, rate_unit, per_step),
                   on_skip=lambda plan: bars.console.print(f"  {plan.unit_id}: complete, skipped"),
                   on_corrupt=lambda plan, error: bars.console.print(
                       f"  [yellow]{plan.unit_id}: {error}; training it again[/]"))
    _print_status(root)
    _analyse(root)
    _report(root)


def _analyse(root: Path) -> None:
    from .store import open_store
    from .studies import analyse

    with _guarded("analyses"):
        store = open_store(root)
        with _bars() as bars:
            analyse(store, progress=_bar_per_step(bars))
    console.print(f"analyses written under {store.analysis_dir}")


def _write_failed(err: OSError) -> None:
    reason = "the disk is full" if err.errno == errno.ENOSPC else (err.strerror or str(err))
    where = f" ({err.filename})" if getattr(err, "filename", None) else ""
    _fail(f"writing to the run store failed: {reason}{where}. Everything completed before is intact (each "
          "unit and analysis is written under a temporary name and renamed when complete); fix the cause and "
          "run the same command to resume.", 1)


def _report(root: Path, output: Path | None = None) -> None:
    from .store import open_store
    from .studies import kind_of

    with _guarded("analyses"):
        store = open_store(root)
        if not store.has_analyses():
            _fail(f"{root} has no analyses yet; run `rnnpop analyse {root}` first")
        with console.status("writing the report"):
            path = kind_of(store.study).report(store, output)
    console.print(f"report: [bold]{path}[/]")
    print(path)


def _load(path: Path):
    from .studyfile import StudyError, load_study

    try:
        return load_study(path)
    except StudyError as err:
        _fail(f"in {path}: {err}")


@app.command()
def run(study_file: Path = typer.Argument(..., help="Study file (TOML)."),
        store: Optional[Path] = typer.Option(None, help="Run directory (default: runs/<study name>)."),
        workers: Optional[int] = typer.Option(None, min=1, help="Run on a local Dask cluster of N "
                                              "single-threaded worker processes."),
        scheduler: Optional[str] = typer.Option(None, help="Run on a running Dask cluster (scheduler address)."),
        slurm: bool = typer.Option(False, help="Run on SLURM jobs, as the study's \\[cluster] section says."),
        device: Optional[str] = typer.Option(None, help="cpu | gpu (default: a GPU when JAX sees one)."),
        retries: int = typer.Option(2, min=0, help="Retries of a failed task (distributed runs)."),
        yes: bool = typer.Option(False, "--yes", "-y", help="Start without asking, however long the estimate."),
        max_hours: float = typer.Option(1.0, help="Ask before starting a study estimated to take longer.")):
    """Run a study: train every unit not yet complete, analyse, write the report."""
    from .execute._cluster import JAX_PLATFORMS
    from .studies import kind_of

    study = _load(study_file)
    root = store or Path("runs") / study.name
    distributed = workers is not None or scheduler is not None or slurm
    if device is not None and device not in JAX_PLATFORMS:
        _fail(f"--device must be one of {list(JAX_PLATFORMS)}, got {device!r}")
    if slurm and study.cluster is None:
        _fail(f"--slurm needs a [cluster] section in {study_file}")
    if distributed and kind_of(study).train_unit is None:
        _fail(f"a {kind_of(study).name} study runs in-process (one network after another); "
              "--workers, --scheduler and --slurm apply to universality studies")
    if device == "gpu" and not distributed:
        _require_gpu()
    _confirm_cost(study, device or "cpu", yes, max_hours)
    if not distributed:
        if device is not None:
            import os

            os.environ["JAX_PLATFORMS"] = JAX_PLATFORMS[device]
        if device != "gpu":
            _setup_jax()
        _check_matmul(study)
        _run(study, root)
    else:
        _run_distributed(study, root, workers=workers, scheduler=scheduler,
                         cluster=study.cluster if slurm else None, device=device, retries=retries)


def _check_matmul(study) -> None:
    """Refuse ``train.matmul = "bfloat16"`` before training where this machine cannot run it."""
    if getattr(getattr(study, "train", None), "matmul", "float32") != "bfloat16":
        return
    from .models._cells import CELLS
    from .models._recurrence import bf16_unsupported

    for cell, _ in study.configurations:
        for units in study.units:
            if (why := bf16_unsupported(CELLS[cell], units)) is not None:
                _fail(f"{why} ({cell}, {units} units)")


def _require_gpu() -> None:
    """Refuse ``--device gpu`` where JAX sees no GPU (and say how to install one)."""
    import jax

    try:
        jax.devices("gpu")
    except RuntimeError:
        _fail("--device gpu: JAX sees no GPU on this machine (backends: "
              f"{sorted({d.platform for d in jax.devices()})}); install the CUDA build with "
              "`pip install -e \".[gpu]\"` on a machine with an NVIDIA GPU, or use --device cpu")


def _confirm_cost(study, device: str, yes: bool, max_hours: float) -> None:
    """Ask before a study estimated longer than ``max_hours``; off a terminal, refuse
    unless ``--yes``."""
    from .studies import estimate
    from .studies._cost import duration as _duration

    cost = estimate(study)
    seconds = cost.seconds(device)
    if yes or seconds is None or seconds <= max_hours * 3600:
        return
    console.print(f"[bold]{study.name}[/]: {cost.describe(device)}")
    if not sys.stdin.isatty():
        _fail(f"this study is estimated at {_duration(seconds)} (over --max-hours {max_hours:g}); "
              "see `rnnpop plan`, then pass --yes to start it")
    if not typer.confirm(f"Start it ({_duration(seconds)})?", default=False):
        raise typer.Exit(1)


@app.command()
def plan(study_file: Path = typer.Argument(..., help="Study file (TOML).")):
    """What a study will cost before it starts: units, networks, network-iterations, time."""
    from .studies import estimate

    study = _load(study_file)
    cost = estimate(study)
    out = Table(title=f"{study.name} — what `rnnpop run` will train", box=box.SIMPLE)
    for column in cost.table.columns:
        out.add_column(str(column), no_wrap=True)
    for row in cost.table.itertuples(index=False):
        out.add_row(*(f"{v:,}" if isinstance(v, int) else str(v) for v in row))
    Console().print(out)
    for device in ("cpu", "gpu"):
        print(f"{device}: {cost.describe(device)}")


def _run_distributed(study, root: Path, **options) -> None:
    from .execute import execute_study, open_client

    retries = options.pop("retries")
    console.print(f"[bold]{study.name}[/]: {len(study.units_of_work())} unit(s) → {root} (Dask)")
    with _guarded("units"), open_client(**options, root=str(root)) as client, _bars() as bars:
        execute_study(study, root, client, retries=retries, progress=_bar_per_step(bars))
    _print_status(root)
    _report(root)


@app.command()
def train(store: Path = typer.Option(..., help="Run directory."),
          task: str = typer.Option("flipflop", help="flipflop | sine | context"),
          cell: str = typer.Option("gru", help="vanilla | ugrnn | gru | lstm"),
          activation: str = typer.Option("tanh", help="tanh | relu"),
          units: int = typer.Option(64, help="Hidden units."),
          l2: float = typer.Option(1e-4, help="L2 strength."),
          n_search: int = typer.Option(4, help="Random-search draws."),
          n_seeds: int = typer.Option(4, help="Seeds trained with the best draw."),
          iterations: int = typer.Option(2000, help="Training iterations."),
          seed: int = typer.Option(0, help="Study seed.")):
    """Train one group from flags (a one-group study)."""
    from .studyfile import StudyError, parse_study

    flags = {"grid.tasks": "--task", "grid.cells": "--cell", "grid.configurations": "--cell/--activation",
             "grid.activations": "--activation", "grid.units": "--units", "grid.l2": "--l2",
             "search.n_search": "--n-search", "search.n_seeds": "--n-seeds", "train.n_iterations": "--iterations",
             "seed": "--seed"}
    try:
        study = parse_study({
            "name": store.name or "train", "seed": seed,
            "grid": {"tasks": [task], "cells": [cell], "activations": [activation], "units": [units], "l2": [l2]},
            "search": {"n_search": n_search, "n_seeds": n_seeds},
            "train": {"n_iterations": iterations, "log_every": math.gcd(iterations, 100)},
        })
    except StudyError as err:
        message = str(err)
        for field, flag in sorted(flags.items(), key=lambda item: -len(item[0])):
            if message.startswith(field):
                message = flag + message[len(field):]
                break
        _fail(message)
    _setup_jax()
    _run(study, store)


@app.command()
def analyse(store: Path = typer.Argument(..., help="Run directory.")):
    """Compute the study's analyses (representations, similarity, dynamics, topology)."""
    _setup_jax()
    _analyse(store)


@app.command()
def report(store: Path = typer.Argument(..., help="Run directory."),
           output: Optional[Path] = typer.Option(None, help="HTML file (default: <store>/report.html).")):
    """Write the study's one-file HTML report from the stored analyses."""
    _report(store, output)


@app.command()
def status(store: Path = typer.Argument(..., help="Run directory.")):
    """Which units of a store are done, to do, or corrupt (checksums verified), with their losses."""
    _print_status(store)


@app.command()
def demo(store: Path = typer.Option(Path("runs/demo"), help="Run directory.")):
    """Run the built-in demo study (a small population on all three tasks)."""
    study_file = importlib.resources.files("rnnpop.studies") / "demo.toml"
    with importlib.resources.as_file(study_file) as path:
        study = _load(path)
    _setup_jax()
    _run(study, store)


@app.command("import")
def import_(paths: list[Path] = typer.Argument(..., help="Weight files (.pt/.pth state dicts, .npz from rnnpop) "
                                                 "or folders of them."),
            task: str = typer.Option(..., help="flipflop | sine | context: the task the networks were trained on; "
                                     "or FILE.npz, your own trials (inputs, targets; mask, conditions optional)."),
            store: Path = typer.Option(..., help="A new run directory."),
            label: str = typer.Option("net", help="Name of the population (groups: <label>-<cell>-<act>-<units>)."),
            group_by: str = typer.Option("shape", help="shape: one group per cell/activation/width; "
                                         "folder: one group per folder (its name is the label)."),
            readout_prefix: Optional[str] = typer.Option(None, help="Prefix of the readout nn.Linear's keys "
                                                         "(e.g. 'head.'); none: outputs = hidden state."),
            rnn_prefix: Optional[str] = typer.Option(None, help="Prefix of the recurrent layer's keys when a "
                                                     "file has several."),
            activation: Optional[str] = typer.Option(None, help="tanh | relu: an nn.RNN's nonlinearity (its state "
                                                     "dict does not record it)."),
            n_time: Optional[int] = typer.Option(None, help="The task's trial length, if not rnnpop's default.")):
    """Import networks trained elsewhere as a run store; then `rnnpop analyse` and `rnnpop report`."""
    from .interop._files import import_files

    with _guarded("nothing (the import writes only when every file is valid)"):
        try:
            root = import_files(paths, task=task, store=store, label=label, group_by=group_by,
                                readout_prefix=readout_prefix, rnn_prefix=rnn_prefix, activation=activation,
                                n_time=n_time)
        except ValueError as err:
            _fail(str(err))
    console.print(f"imported into {root}; next: rnnpop analyse {root} && rnnpop report {root}")
    _print_status(root)


def _print_status(root: Path) -> None:
    from .store import open_store
    from .studies import corrupt_analyses, kind_of

    with _guarded("units"):
        store = open_store(root)
        rows = kind_of(store.study).status(store)
    out = Table(title=f"{store.study.name} — {root}", box=box.SIMPLE)
    for column in rows.columns:
        out.add_column(str(column), no_wrap=column != "state")
    colours = {"done": "green", "todo": "yellow"}
    reasons = []
    for row in rows.itertuples(index=False):
        state, _, why = row.state.partition(": ")
        if why:
            reasons.append((row[0], why))
        cells = [f"[{colours.get(state, 'red')}]{state}[/]" if c == "state" else str(v)
                 for c, v in zip(rows.columns, row)]
        out.add_row(*cells)
    Console().print(out)
    from rich.markup import escape

    for unit, why in reasons:
        console.print(f"[red]corrupt[/] {escape(unit)}: {escape(why)}; the next `rnnpop run` trains it again")
    for line in corrupt_analyses(store):
        console.print(f"[red]corrupt analysis[/] {escape(line)}; `rnnpop analyse {root}` computes it again")


def main() -> None:
    app()


if __name__ == "__main__":
    sys.exit(main())
