"""The report of a vision study: one self-contained HTML file."""

from __future__ import annotations

import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from .. import plots
from ..analysis import load_vision_summary, vision_findings
from ..store import VisionStore
from ..store._atomic import read_manifest
from ._common import hardware_line, html_table, figure_items, write_html
from ._figures import Figure, drawn


def vision_figures(store: VisionStore, summary: pd.DataFrame | None) -> list[Figure]:
    """The report's figures from the stored summary (and the readout of one recurrent network)."""
    if summary is None or summary.empty:
        return []
    models = list(dict.fromkeys(summary.model))
    # the two most accurate recurrent networks (at the last step) are shown one by one
    last = summary[(summary.quantity == "accuracy") & (summary.state == "trained")]
    last = last[last.step == last.step.max()].set_index("model").value
    recurrent = [m for m in models if not m.startswith("B-")] or models
    shown = sorted(recurrent, key=lambda m: -last.get(m, 0.0))[:2]
    figures = [
        Figure("Accuracy over time",
               "Held-out accuracy at each time step (mean over seeds); solid additive, dashed multiplicative. "
               "Right: the same networks untrained.", plots.accuracy_over_time(summary)),
        Figure("When predictions settle",
               "Fraction of held-out images whose prediction is correct from step t_stable on (and not "
               "predicted before it).", plots.stability_profile(summary)),
        drawn("Continued evolution after correct classification",
              "The two most accurate recurrent networks. Step size ‖h_t+1 − h_t‖ of the pooled representation "
              "for images that settle correctly, "
              "grouped by the step they settle at (vertical lines); dashed: the same network untrained, "
              "same images.", lambda: plots.continued_evolution(summary, shown)),
        Figure("Norms and readout zones",
               "Recurrent networks, mean per step. Images already stable at t vs. images that become stable "
               "later: their norm; their cosine with the readout vector of the zone they are in (lower = more "
               "peripheral); and, over pairs of not-yet-stable images in one zone with different labels, the "
               "cosine of h_i,t with i's future class vs. with j's class (the authors' definition).", plots.readout_geometry(summary)),
    ]
    figures += [
        Figure("Norms, network by network",
               "Each recurrent network: mean ‖h_t‖ of images already stable-correct at t, of those that become "
               "stable-correct later, and of stable-incorrect images (the control).",
               plots.per_network(summary, {"already": "norm_already", "later": "norm_later",
                                           "stable-incorrect": "norm_incorrect"}, "‖h_t‖")),
        Figure("Readout-zone position, network by network",
               "Each recurrent network: mean cosine of h_t with the readout vector of its current zone, for the "
               "same three sets of images (lower = more peripheral).",
               plots.per_network(summary, {"already": "cosine_already", "later": "cosine_later",
                                           "stable-incorrect": "cosine_incorrect"}, "cos(h_t, w_winning)")),
        Figure("Towards the future class, network by network",
               "Each recurrent network: over pairs of not-yet-stable images in one zone with different labels, the "
               "mean cosine of h_i,t with i's future class and with j's class.",
               plots.per_network(summary, {"future class": "future_true", "other image's class": "future_others"},
                                 "cos(h_t, w_c)")),
    ]
    from ..vision import readout_linkage

    model = shown[0]
    heldout = store.heldout(model)
    W = heldout.readout[0]
    figures.append(Figure(f"Readout structure ({model}, the most accurate recurrent network)",
                          "Ward dendrogram over the distances (1 − cos)/2 between the trained readout vectors.",
                          plots.readout_dendrogram(W, heldout.categories, readout_linkage(W))))
    histories = {m: store.history(m) for m in models}
    figures.append(Figure("Training", "Per epoch: mean training loss; validation loss and validation accuracy at "
                          "the last step (the authors' script records both every epoch).",
                          plots.training_curves(histories)))
    return figures


def _networks(store: VisionStore, summary: pd.DataFrame | None) -> pd.DataFrame:
    rows = []
    for plan in store.study.models():
        manifest = read_manifest(store.unit_dir(plan.model_id))
        row = {"network": plan.model_id, "variant": plan.variant, "interaction": plan.interaction,
               "seed": plan.seed, "state": "done" if manifest else "todo"}
        if manifest:
            history = store.history(plan.model_id)
            row.update({"final train loss": float(history.loss.iloc[-1]), "train seconds": manifest["seconds"]})
        if summary is not None and not summary.empty:
            acc = summary[(summary.model == plan.model_id) & (summary.quantity == "accuracy")
                          & (summary.state == "trained")].sort_values("step")
            if len(acc):
                row.update({"accuracy, first step": acc.value.iloc[0], "accuracy, last step": acc.value.iloc[-1]})
        rows.append(row)
    return pd.DataFrame(rows)


def build_vision_report(store: VisionStore, path: str | Path | None = None) -> Path:
    """Write a vision study's report (default ``<store>/report.html``) and return its path:
    the study, the networks with their accuracy, the representation-dynamics figures and
    the paper's claims next to the numbers measured here."""
    path = Path(path) if path is not None else store.report_path
    study = store.study
    summary = load_vision_summary(store)
    manifests = {m: read_manifest(store.unit_dir(m)) for m in store.complete_models()}
    networks = _networks(store, summary)
    findings = vision_findings(summary)

    analysis = read_manifest(store.stage("vision")) or {}
    data = (f"stand-in (seeded shapes among clutter): {study.data.n_train} training and {study.data.n_test} "
            f"held-out images, {study.data.n_classes} classes" if study.data.source == "standin"
            else f"MiniEcoset {study.data.path}: train → {study.data.eval_split}")
    return write_html(
        "vision.html.j2", path, study=study, data=data, n_done=len(manifests), hardware=hardware_line(manifests),
        train_seconds=float(np.sum([m["seconds"] for m in manifests.values()])) if manifests else 0.0,
        analysis_seconds=float(analysis.get("seconds", 0.0)),
        generated=datetime.datetime.now().isoformat(timespec="seconds"),
        networks=html_table(networks), findings=html_table(findings),
        figures=figure_items(vision_figures(store, summary)))
