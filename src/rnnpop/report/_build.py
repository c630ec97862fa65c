"""``build_report(store)``: one self-contained HTML file (figures embedded as PNG)."""

from __future__ import annotations

import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis import inclusion, load_topology, study_findings
from ..store import RunStore
from ..store._atomic import read_manifest
from ._common import hardware_line, html_table, figure_items, write_html
from ._figures import task_figures


def _manifests(store: RunStore, table: pd.DataFrame) -> dict[str, dict]:
    """The manifests of the complete groups (those in ``table``, already verified)."""
    done = set(table.group) if not table.empty else set()
    return {gid: read_manifest(store.unit_dir(gid)) for gid in done}


def _population(store: RunStore, table: pd.DataFrame, manifests: dict[str, dict]) -> pd.DataFrame:
    rows = []
    settings = store.study.analysis
    for plan in store.study.groups():
        gid = plan.group_id
        manifest = manifests.get(gid)
        group = table[table.group == gid] if not table.empty else table
        seeds = inclusion(group, settings.max_relative_loss) if len(group) else group
        analysed = int(seeds.included.sum()) if len(seeds) else 0
        rows.append({
            "group": gid, "task": plan.task.name, "cell": plan.spec.cell, "activation": plan.spec.activation,
            "units": plan.spec.n_units, "state": "done" if manifest else "todo",
            "networks": len(group), "diverged": int((group.status == "diverged").sum()) if len(group) else 0,
            "baseline loss": float(group.baseline_loss.iloc[0]) if len(group) else np.nan,
            "median val. loss / baseline (seeds)": float(seeds.relative_loss.median()) if len(seeds) else np.nan,
            "seeds analysed": f"{analysed} of {len(seeds)}" + (" (too few)" if manifest and analysed < settings.min_networks
                                                               else ""),
            "train seconds": float(manifest["seconds"]) if manifest else np.nan,
        })
    return pd.DataFrame(rows)


def _analysis_seconds(store: RunStore) -> float:
    total = 0.0
    for manifest_path in store.analysis_manifests():
        manifest = read_manifest(manifest_path.parent)
        total += float((manifest or {}).get("seconds", 0.0))
    return total


def _set_aside(store: RunStore, table: pd.DataFrame) -> pd.DataFrame:
    rows = []
    if not table.empty:
        search = table[(table.phase != "seed") & (table.status == "diverged")]
        for r in search.itertuples():
            rows.append({"task": r.task, "group": r.group, "network": int(r.network), "phase": r.phase,
                         "seed": int(r.seed), "why": "diverged during training (a search draw, never analysed)"})
        seeds = inclusion(table, store.study.analysis.max_relative_loss)
        for r in seeds[~seeds.included].itertuples():
            rows.append({"task": r.task, "group": r.group, "network": int(r.network), "phase": r.phase,
                         "seed": int(r.seed), "why": r.why + "; not analysed"})
    for task in store.study.tasks:
        topology = load_topology(store, task.name)
        if topology is not None:
            networks = topology.networks
            for r in networks[~networks.modal].itertuples():
                rows.append({"task": task.name, "group": r.group, "network": int(r.network_id), "phase": "seed",
                             "seed": _seed_of(table, r.group, r.network_id), "why": f"{r.n_points} fixed points, not the modal count (left out of the paper's "
                                    "graph distance; kept in the matched-graph distance)"})
    return pd.DataFrame(rows, columns=["task", "group", "network", "phase", "seed", "why"])


def _seed_of(table: pd.DataFrame, group: str, network: int) -> int:
    row = table[(table.group == group) & (table.network == network)]
    return int(row.seed.iloc[0]) if len(row) else -1


def build_report(store, path: str | Path | None = None) -> Path:
    """Write the study's report (default ``<store>/report.html``) and return its path.

    Sections: the study (population, budget, hardware, wall time), training quality,
    the figures per task, the findings table (the paper's claims next to the numbers
    measured here) and what was set aside. Only the analyses present are shown.
    """
    path = Path(path) if path is not None else store.report_path
    study = store.study
    table = store.table()  # verifies every group's checksums once
    manifests = _manifests(store, table)
    population = _population(store, table, manifests)
    train_seconds = float(np.nansum(population["train seconds"])) if len(population) else 0.0
    sections = [{"task": task.name, "figures": figure_items(task_figures(store, task.name, table))}
                for task in study.tasks]
    findings = study_findings(store)
    return write_html(
        "report.html.j2", path, study=study, generated=datetime.datetime.now().isoformat(timespec="seconds"),
        hardware=hardware_line(manifests), train_seconds=train_seconds, analysis_seconds=_analysis_seconds(store),
        n_networks=int(population.networks.sum()) if len(population) else 0,
        population=html_table(population), findings=html_table(findings),
        set_aside=html_table(_set_aside(store, table)), sections=sections,
        budget={"iterations": study.train.n_iterations, "batch": study.train.batch_size,
                "search": study.n_search, "seeds": study.n_seeds} if study.kind == "universality" else None,
    )



