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


def _training_bars(unit: str) -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[rate]:>7} " + unit + "  loss {task.fields[loss]}"), TimeElapsedColumn(),
                    console=console)


def _bar_per_unit(bars: Progress, name, per_step: float = 1.0):
    """``opener(plan, total)``: a bar named ``name(plan)`` and its ``update(done, total, loss)``,
    showing ``per_step`` × steps per second."""

    @contextlib.contextmanager
    def opener(plan, total):
        task = bars.add_task(name(plan), total=total, rate="-", loss="-")
        start = time.perf_counter()

        def update(done, _total, loss):
            rate = done * per_step / (time.perf_counter() - start)
            bars.update(task, completed=done, rate=f"{rate:.0f}", loss="nan" if math.isnan(loss) else f"{loss:.4g}")

        yield update

    return opener


@contextlib.contextmanager
def _guarded(done: str):
    """Bad input → exit 2 naming it; a failed write → what is intact; Ctrl-C → how to resume."""
    from .studyfile import StudyError

    try:
        yield
    except (StudyError, FloatingPointError) as err:
        console.print(f"[red]error:[/] {err}")
        raise typer.Exit(2)
    except OSError as err:
        _write_failed(err)
    except KeyboardInterrupt:
        console.print(f"[yellow]interrupted[/]: completed {done} are kept; run the same command to resume")
        raise typer.Exit(130)


def _run(study, store: Path) -> None:
    from .studies import run_study

    console.print(f"[bold]{study.name}[/]: {len(study.groups())} group(s) × {study.networks_per_group} networks "
                  f"→ {store}")
    with _training_bars("it/s") as bars, _guarded("groups"):
        run_study(study, store, group_progress=_bar_per_unit(bars, lambda plan: plan.group_id),
                  on_skip=lambda plan: bars.console.print(f"  {plan.group_id}: complete, skipped"),
                  on_corrupt=lambda plan, error: bars.console.print(
                      f"  [yellow]{plan.group_id}: {error}; training it again[/]"))
    _print_status(store)
    _analyse(store)
    _report(store)


def _run_vision(study, root: Path) -> None:
    from .studies import run_vision_study

    console.print(f"[bold]{study.name}[/]: {len(study.models())} vision network(s) → {root}")
    with _training_bars("img/s") as bars, _guarded("networks"):
        run_vision_study(study, root,
                         model_progress=_bar_per_unit(bars, lambda plan: plan.model_id, study.train.batch_size),
                         on_skip=lambda plan: bars.console.print(f"  {plan.model_id}: complete, skipped"),
                         on_corrupt=lambda plan, error: bars.console.print(
                             f"  [yellow]{plan.model_id}: {error}; training it again[/]"))
    _print_status(root)
    _analyse(root)
    _report(root)


def _analyse(root: Path) -> None:
    from .analysis import analyse_dynamics, analyse_similarity, analyse_topology, analyse_vision
    from .store import VisionStore, exclusive, open_store

    store = open_store(root)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as bars:
        tasks = {}

        def progress(step, done, total):
            if step not in tasks:
                tasks[step] = bars.add_task(step, total=total)
            bars.update(tasks[step], completed=done)

        # one process analyses a store at a time; a concurrent run waits, then finds it done
        with _guarded("analyses"), exclusive(store.root / "analysis", "stages"):
            if isinstance(store, VisionStore):
                analyse_vision(store, progress=progress)
            else:
                analyse_similarity(store, store.study.analysis, progress=progress)
                if store.study.analysis.dynamics:
                    analyse_dynamics(store, store.study.analysis, progress=progress)
                    analyse_topology(store)
    console.print(f"analyses written under {root / 'analysis'}")


def _write_failed(err: OSError) -> None:
    reason = "the disk is full" if err.errno == errno.ENOSPC else str(err)
    console.print(f"[red]error:[/] writing to the run store failed: {reason}. Everything completed before is "
                  "intact (each group and analysis is written under a temporary name and renamed when "
                  "complete); fix the cause and run the same command to resume.")
    raise typer.Exit(1)


def _report(root: Path) -> None:
    from .report import build_report
    from .store import open_store

    with console.status("writing the report"):
        path = build_report(open_store(root))
    console.print(f"report: [bold]{path}[/]")
    print(path)


def _load(path: Path):
    from .studyfile import StudyError, load_study

    try:
        return load_study(path)
    except StudyError as err:
        console.print(f"[red]error in {path}:[/] {err}")
        raise typer.Exit(2)


@app.command()
def run(study_file: Path = typer.Argument(..., help="Study file (TOML)."),
        store: Optional[Path] = typer.Option(None, help="Run directory (default: runs/<study name>)."),
        workers: Optional[int] = typer.Option(None, min=1, help="Run on a local Dask cluster of N "
                                              "single-threaded worker processes."),
        scheduler: Optional[str] = typer.Option(None, help="Run on a running Dask cluster (scheduler address)."),
        slurm: bool = typer.Option(False, help="Run on SLURM jobs, as the study's \\[cluster] section says."),
        device: Optional[str] = typer.Option(None, help="cpu | gpu (default: a GPU when JAX sees one)."),
        retries: int = typer.Option(2, min=0, help="Retries of a failed task (distributed runs).")):
    """Run a study: train every group not yet complete, analyse, write the report."""
    study = _load(study_file)
    root = store or Path("runs") / study.name
    from .execute._cluster import JAX_PLATFORMS
    from .studyfile import VisionStudy

    if device is not None and device not in JAX_PLATFORMS:
        console.print(f"[red]error:[/] --device must be one of {list(JAX_PLATFORMS)}, got {device!r}")
        raise typer.Exit(2)
    if slurm and study.cluster is None:
        console.print(f"[red]error:[/] --slurm needs a [cluster] section in {study_file}")
        raise typer.Exit(2)
    if isinstance(study, VisionStudy) and (workers is not None or scheduler is not None or slurm):
        console.print("[red]error:[/] a vision study runs in-process (one network after another); "
                      "--workers, --scheduler and --slurm apply to universality studies")
        raise typer.Exit(2)
    if workers is None and scheduler is None and not slurm:
        if device is not None:
            import os

            os.environ["JAX_PLATFORMS"] = JAX_PLATFORMS[device]
        if isinstance(study, VisionStudy):
            _run_vision(study, root)
            return
        _setup_jax()
        _run(study, root)
    else:
        _run_distributed(study, root, workers=workers, scheduler=scheduler,
                         cluster=study.cluster if slurm else None, device=device, retries=retries)


def _run_distributed(study, root: Path, **options) -> None:
    from .execute import execute_study, open_client

    retries = options.pop("retries")
    console.print(f"[bold]{study.name}[/]: {len(study.groups())} group(s) × {study.networks_per_group} "
                  f"networks → {root} (Dask)")
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with open_client(**options, root=str(root)) as client, Progress(*columns, console=console) as bars:
            bar = bars.add_task(f"{study.name}: tasks", total=None)

            def progress(description, done, total):
                bars.update(bar, completed=done, total=total)

            execute_study(study, root, client, retries=retries, progress=progress)
    except KeyboardInterrupt:
        console.print("[yellow]interrupted[/]: completed groups are kept; run the same command to resume")
        raise typer.Exit(130)
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

    try:
        study = parse_study({
            "name": store.name or "train", "seed": seed,
            "grid": {"tasks": [task], "cells": [cell], "activations": [activation], "units": [units], "l2": [l2]},
            "search": {"n_search": n_search, "n_seeds": n_seeds},
            "train": {"n_iterations": iterations, "log_every": math.gcd(iterations, 100)},
        })
    except StudyError as err:
        console.print(f"[red]error:[/] {err}")
        raise typer.Exit(2)
    _setup_jax()
    _run(study, store)


@app.command()
def analyse(store: Path = typer.Argument(..., help="Run directory.")):
    """Compute the study's analyses (representations, similarity, MDS) for a trained store."""
    _setup_jax()
    try:
        _analyse(store)
    except (FileNotFoundError, RuntimeError) as err:
        console.print(f"[red]error:[/] {err}")
        raise typer.Exit(2)


@app.command()
def report(store: Path = typer.Argument(..., help="Run directory."),
           output: Optional[Path] = typer.Option(None, help="HTML file (default: <store>/report.html).")):
    """Write the study's one-file HTML report from the stored analyses."""
    from .report import build_report
    from .store import open_store

    try:
        path = build_report(open_store(store), output)
    except FileNotFoundError as err:
        console.print(f"[red]error:[/] {err}")
        raise typer.Exit(2)
    console.print(f"report: [bold]{path}[/]")
    print(path)


@app.command()
def status(store: Path = typer.Argument(..., help="Run directory.")):
    """Show which groups of a store are complete, with their losses."""
    _print_status(store)


@app.command()
def demo(store: Path = typer.Option(Path("runs/demo"), help="Run directory.")):
    """Run the built-in demo study (a small population on all three tasks)."""
    study_file = importlib.resources.files("rnnpop.studies") / "demo.toml"
    with importlib.resources.as_file(study_file) as path:
        study = _load(path)
    _setup_jax()
    _run(study, store)


def _print_status(root: Path) -> None:
    from .store import VisionStore, open_store

    try:
        store = open_store(root)
    except FileNotFoundError as err:
        console.print(f"[red]error:[/] {err}")
        raise typer.Exit(2)
    if isinstance(store, VisionStore):
        _print_vision_status(store)
        return
    table = store.table()
    out = Table(title=f"{store.study.name} — {root}", box=box.SIMPLE,
                caption="val. loss: median over seed networks; baseline: best constant output")
    out.add_column("group", no_wrap=True)
    for column in ("state", "nets", "diverged", "baseline", "val. loss"):
        out.add_column(column, no_wrap=True)
    for plan in store.study.groups():
        gid = plan.group_id
        if table.empty or gid not in set(table["group"]):
            out.add_row(gid, "[yellow]todo[/]", "", "", "", "")
            continue
        rows = table[table["group"] == gid]
        seeds = rows[rows["phase"] == "seed"]
        out.add_row(gid, "[green]done[/]", str(len(rows)), str(int((rows["status"] == "diverged").sum())),
                    f"{rows['baseline_loss'].iloc[0]:.4g}", f"{seeds['validation_loss'].median():.4g}")
    Console().print(out)


def _print_vision_status(store) -> None:
    out = Table(title=f"{store.study.name} — {store.root}", box=box.SIMPLE)
    for column in ("network", "state", "epochs", "final loss", "seconds"):
        out.add_column(column, no_wrap=True)
    for plan in store.study.models():
        if not store.is_complete(plan.model_id):
            out.add_row(plan.model_id, "[yellow]todo[/]", "", "", "")
            continue
        history = store.history(plan.model_id)
        out.add_row(plan.model_id, "[green]done[/]", str(len(history)), f"{history.loss.iloc[-1]:.4g}",
                    f"{store.manifest(plan.model_id)['seconds']:.0f}")
    Console().print(out)


def main() -> None:
    app()


if __name__ == "__main__":
    sys.exit(main())
