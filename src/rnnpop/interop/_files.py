"""``rnnpop import``: weight files on disk → groups → :func:`import_population`."""

from __future__ import annotations

from pathlib import Path

SUFFIXES = (".pt", ".pth", ".npz")


def _files(paths) -> list[Path]:
    found = []
    for path in map(Path, paths):
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES)
        elif path.is_file():
            if path.suffix not in SUFFIXES:
                raise ValueError(f"{path}: not a weight file; rnnpop reads {list(SUFFIXES)}")
            found.append(path)
        else:
            raise ValueError(f"{path}: no such file or folder")
    if not found:
        raise ValueError(f"no weight files ({', '.join(SUFFIXES)}) in {[str(p) for p in paths]}")
    return found


def import_files(paths, *, task: str, store, label: str = "net", group_by: str = "shape",
                 readout_prefix: str | None = None, rnn_prefix: str | None = None,
                 activation: str | None = None, n_time: int | None = None) -> Path:
    """Read every file (all before writing anything), group the networks and write the
    store; returns its path. Errors name the file and what is wrong with it."""
    from ..models._cells import cell_name
    from ..tasks import TASKS, ArrayTask, make_task
    from ._npz import from_npz
    from ._population import import_population
    from ._torch import load_torch

    if group_by not in ("shape", "folder"):
        raise ValueError(f"--group-by must be 'shape' or 'folder', got {group_by!r}")
    try:
        if task.endswith(".npz"):  # the user's own trials
            if n_time:
                raise ValueError("--n-time does not apply to a task given as arrays (their time axis is the length)")
            the_task = ArrayTask.load(Path(task), file="task.npz")
        elif task not in TASKS:
            raise ValueError(f"{task!r} is neither one of rnnpop's tasks {sorted(TASKS)} nor a .npz of your "
                             "own trials (inputs, targets)")
        else:
            the_task = make_task(task, **({"n_time": n_time} if n_time else {}))
    except ValueError as err:
        raise ValueError(f"--task: {err}") from None
    groups: dict[str, list] = {}
    for path in _files(paths):
        try:
            if path.suffix == ".npz":
                net = from_npz(path)
            else:
                options = {"readout_prefix": readout_prefix, "activation": activation}
                if rnn_prefix is not None:
                    options["rnn_prefix"] = rnn_prefix
                net = load_torch(path, **options)
        except (ValueError, KeyError, RuntimeError) as err:
            raise ValueError(f"{path}: {err}") from None
        key = (path.parent.name if group_by == "folder" else
               f"{label}-{cell_name(net.cell)}-{net.cell.activation}-{net.cell.n_units}")
        groups.setdefault(key, []).append(net)
    import_population(Path(store), groups, the_task, name=Path(store).name or label)
    return Path(store)

