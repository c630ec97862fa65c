"""The vision study end to end: study file, training into the store, held-out responses,
analyses, report; resume, corruption, bad input."""

import h5py
import numpy as np
import pytest
import tomli_w
from typer.testing import CliRunner

from rnnpop.analysis import analyse_vision, vision_findings
from rnnpop.cli import app
from rnnpop.store import VisionStore, load
from rnnpop.studies import run_vision_study
from rnnpop.studyfile import StudyError, VisionStudy, load_study, parse_study
from rnnpop.vision import accuracy_per_step, analysed_groups, stability_split, step_sizes

runner = CliRunner()

TINY = {
    "kind": "vision", "name": "tiny-vision", "seed": 0,
    "data": {"n_train": 48, "n_test": 30, "n_classes": 4},
    "model": {"variants": ["B", "BLT"], "interactions": ["additive"], "widths": [4, 4, 8, 8, 16],
              "image_size": 16, "n_steps": 4},
    "train": {"epochs": 1, "batch_size": 16},
}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """The tiny study run through the CLI (train, analyse, report)."""
    folder = tmp_path_factory.mktemp("vision")
    study_file = folder / "tiny.toml"
    study_file.write_text(tomli_w.dumps(TINY))
    root = folder / "run"
    result = runner.invoke(app, ["run", str(study_file), "--store", str(root)])
    assert result.exit_code == 0, result.output
    return root, result.output


def test_study_file_kind_vision_resolves_models():
    study = parse_study({**TINY, "model": {**TINY["model"], "interactions": ["additive", "multiplicative"]},
                         "train": {**TINY["train"], "n_seeds": 2}})
    assert isinstance(study, VisionStudy)
    ids = [p.model_id for p in study.models()]
    # B has no recurrence, so it is trained once per seed whatever the interactions
    assert ids == ["B-additive-s0", "B-additive-s1", "BLT-additive-s0", "BLT-additive-s1",
                   "BLT-multiplicative-s0", "BLT-multiplicative-s1"]
    assert parse_study(study.to_dict()) == study  # the stored form reads back the same


@pytest.mark.parametrize("change, field", [
    ({"model": {"variants": ["BLTX"]}}, "model.variants"),
    ({"model": {"interactions": ["divisive"]}}, "model.interactions"),
    ({"model": {"widths": [4, 4, 8]}}, "model.widths"),
    ({"model": {"image_size": 20}}, "model.image_size"),
    ({"train": {"epochs": -1}}, "train.epochs"),
    ({"train": {"learning_rate": float("nan")}}, "train.learning_rate"),
    ({"train": {"augment": "yes"}}, "train.augment"),
    ({"data": {"source": "imagenet"}}, "data.source"),
    ({"data": {"source": "miniecoset"}}, "data.path"),
    ({"data": {"source": "miniecoset", "path": "/no/such/file.h5"}}, "data.path"),
    ({"data": {"n_classes": 11}}, "data.n_classes"),
    ({"data": {"colour": 1}}, "data.colour"),
    ({"kind": "audio"}, "kind"),
])
def test_bad_vision_study_names_the_field(change, field):
    data = {**TINY, **{k: ({**TINY[k], **v} if isinstance(v, dict) else v) for k, v in change.items()}}
    with pytest.raises(StudyError, match=field.replace(".", r"\.")):
        parse_study(data)


def test_run_trains_every_network_and_stores_held_out_responses(run):
    root, output = run
    store = load(root)
    assert isinstance(store, VisionStore)
    assert store.complete_models() == ["B-additive-s0", "BLT-additive-s0"]
    heldout = store.heldout("BLT-additive-s0")
    assert heldout.labels.shape == (30,)
    assert heldout.predictions.shape == (2, 30, 4) and heldout.pooled.shape == (2, 30, 4, 16)
    assert heldout.readout.shape == (2, 4, 16) and len(heldout.categories) == 4
    assert (heldout.pooled >= 0).all()
    # the stored weights reproduce the stored responses
    net = store.network("BLT-additive-s0")
    np.testing.assert_allclose(net.readout.weight, heldout.readout[0])
    # every variant of one seed starts from the same bottom-up weights
    b0, blt0 = store.network("B-additive-s0", "untrained"), store.network("BLT-additive-s0", "untrained")
    np.testing.assert_array_equal(b0.bottom_up["v2"].weight, blt0.bottom_up["v2"].weight)
    assert (root / "report.html").is_file() and "report.html" in output


def test_stored_summary_follows_from_the_stored_responses(run):
    root, _ = run
    store = load(root)
    summary = analyse_vision(store)  # already there: read back, not recomputed
    heldout = store.heldout("BLT-additive-s0")
    rows = summary[summary.model == "BLT-additive-s0"]
    for state, index in (("trained", 0), ("untrained", 1)):
        acc = rows[(rows.quantity == "accuracy") & (rows.state == state)].sort_values("step").value
        np.testing.assert_allclose(acc, accuracy_per_step(heldout.predictions[index], heldout.labels))
    split = stability_split(heldout.predictions[0], heldout.labels)
    analysed = analysed_groups(split, 0.01)  # t_stable groups under 1 % of the first left out
    deltas = step_sizes(heldout.pooled[1])
    for t in np.unique(split.t_stable[analysed]):
        got = rows[(rows.quantity == "evolution") & (rows.state == "untrained") & (rows.t_stable == t)]
        expected = deltas[analysed & (split.t_stable == t)].mean(axis=0)
        np.testing.assert_allclose(got.sort_values("step").value, expected, rtol=1e-6)
    fractions = rows[rows.quantity == "t_stable"].value
    assert np.isclose(fractions.sum(), analysed.mean())
    findings = vision_findings(summary)  # one recurrent network: nothing can be counted
    assert set(findings.columns) >= {"claim", "measured", "verdict"} and len(findings) >= 1
    assert set(findings.verdict) == {"not testable at this size"}


def test_resume_skips_complete_networks_and_redoes_a_corrupted_one(run):
    root, _ = run
    store = load(root)
    before = store.heldout("B-additive-s0")
    target = next(p for p in sorted((store.unit_dir("B-additive-s0") / "heldout.zarr").rglob("*"))
                  if p.is_file() and "pooled" in str(p) and p.name != "zarr.json")
    target.write_bytes(b"\0" * 16)
    skipped, corrupt = [], []
    run_vision_study(store.study, root, on_skip=lambda p: skipped.append(p.model_id),
                     on_corrupt=lambda p, err: corrupt.append((p.model_id, err)))
    assert skipped == ["BLT-additive-s0"]
    assert [m for m, _ in corrupt] == ["B-additive-s0"] and "pooled" in corrupt[0][1]
    after = store.heldout("B-additive-s0")  # trained again from the same seed: same numbers
    np.testing.assert_array_equal(after.predictions, before.predictions)
    np.testing.assert_allclose(after.pooled, before.pooled, atol=1e-5)


def test_status_and_report_commands_read_a_vision_store(run):
    root, _ = run
    status = runner.invoke(app, ["status", str(root)])
    assert status.exit_code == 0 and "BLT-additive-s0" in status.output and "done" in status.output
    text = (root / "report.html").read_text()
    for section in ("Accuracy over time", "Continued evolution after correct classification",
                    "Norms and readout zones", "Readout structure", "the paper's claims"):
        assert section in text
    assert text.count("data:image/png;base64,") >= 6 and "src=\"http" not in text


def test_vision_report_renders_in_headless_chromium(run, render_in_browser):
    root, _ = run
    render_in_browser(root / "report.html", title="rnnpop report: tiny-vision", min_images=6)


def test_distributed_flags_are_refused_for_a_vision_study(tmp_path):
    study_file = tmp_path / "v.toml"
    study_file.write_text(tomli_w.dumps(TINY))
    result = runner.invoke(app, ["run", str(study_file), "--store", str(tmp_path / "r"), "--workers", "2"])
    assert result.exit_code == 2 and "in-process" in result.output


def _miniecoset(path, size):
    rng = np.random.default_rng(0)
    with h5py.File(path, "w") as f:
        f["categories"] = np.array([b"cat", b"dog", b"car"])
        f["train_img_mean_channels"] = np.array([100.0, 110.0, 120.0])
        f["train_img_std_channels"] = np.array([50.0, 55.0, 60.0])
        for split, n in (("train", 20), ("val", 6), ("test", 9), ("testplus", 2)):
            f[f"{split}/data"] = rng.integers(0, 256, size=(n, size, size, 3), dtype=np.uint8)
            f[f"{split}/labels"] = rng.integers(0, 3, size=n)


def test_a_users_miniecoset_file_trains_and_a_size_mismatch_is_named(tmp_path):
    _miniecoset(tmp_path / "mini.h5", 16)
    spec = {**TINY, "data": {"source": "miniecoset", "path": "mini.h5", "eval_split": "test", "max_test": 7},
            "model": {**TINY["model"], "variants": ["B"]}}
    (tmp_path / "study.toml").write_text(tomli_w.dumps(spec))
    study = load_study(tmp_path / "study.toml")  # the data path is relative to the study file
    assert study.data.path == str((tmp_path / "mini.h5").resolve())
    store = run_vision_study(study, tmp_path / "run")
    heldout = store.heldout("B-additive-s0")
    assert heldout.categories == ("cat", "dog", "car") and heldout.predictions.shape == (2, 7, 4)
    from rnnpop.vision._data import stratified_subset

    with h5py.File(tmp_path / "mini.h5") as f:  # max_test: a stratified subset drawn with the study seed
        labels = f["test/labels"][()]
        np.testing.assert_array_equal(heldout.labels, labels[stratified_subset(labels, 7, seed=study.seed + 1)])

    _miniecoset(tmp_path / "big.h5", 24)
    spec["data"]["path"] = str(tmp_path / "big.h5")
    with pytest.raises(StudyError, match=r"model\.image_size"):
        run_vision_study(parse_study(spec), tmp_path / "other")
    assert not any((tmp_path / "other" / "models").iterdir())  # nothing trained


def test_the_example_study_files_parse():
    from pathlib import Path

    examples = Path(__file__).parents[2] / "examples"
    for path in sorted(examples.glob("*.toml")):
        if path.name == "vision-miniecoset.toml":  # needs the user's data file: named when missing
            with pytest.raises(StudyError, match=r"data\.path"):
                load_study(path)
        else:
            assert load_study(path).name == path.stem


def test_a_vision_store_is_not_read_as_a_universality_store(run):
    from rnnpop.store import RunStore

    root, _ = run
    with pytest.raises(StudyError, match="not a universality study"):
        RunStore.open(root)
    other = parse_study({**TINY, "train": {**TINY["train"], "epochs": 2}})
    with pytest.raises(StudyError, match=r"train\.epochs"):  # a different study: refused, naming the field
        run_vision_study(other, root)


def test_an_interrupted_fit_resumes_from_its_epoch_checkpoint_with_the_same_weights(tmp_path):
    import jax

    from rnnpop.studyfile import VisionData
    from rnnpop.vision import BLT, BLTConfig, fit, load_images

    train, _, _ = load_images(VisionData(n_train=32, n_test=8, n_classes=3), 16, seed=0)
    config = BLTConfig(variant="BL", widths=(4, 4, 4, 8, 8), image_size=16, n_classes=3, n_steps=3)
    options = dict(epochs=3, batch_size=16, learning_rate=1e-3, augmented=True, seed=5)
    whole, history = fit(BLT(config, key=jax.random.key(0)), train, **options)

    def stop_in_epoch_three(_step, done, total, **values):
        if done == 6:  # the third epoch's last batch (2 per epoch), before its checkpoint
            raise KeyboardInterrupt

    checkpoint = tmp_path / "fit.safetensors"
    with pytest.raises(KeyboardInterrupt):
        fit(BLT(config, key=jax.random.key(0)), train, progress=stop_in_epoch_three, checkpoint=checkpoint,
            **options)
    assert checkpoint.is_file()
    resumed, resumed_history = fit(BLT(config, key=jax.random.key(0)), train, checkpoint=checkpoint, **options)
    np.testing.assert_allclose(resumed_history.loss, history.loss, rtol=1e-5)
    for a, b in zip(jax.tree_util.tree_leaves(resumed), jax.tree_util.tree_leaves(whole)):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_validation_loss_and_per_step_accuracy_are_recorded_every_epoch():
    import jax

    from rnnpop.studyfile import VisionData
    from rnnpop.vision import BLT, BLTConfig, blt_loss, fit, load_images, responses
    from rnnpop.vision._fit import evaluate

    train, validation, _ = load_images(VisionData(n_train=32, n_test=12, n_classes=3), 16, seed=0)
    config = BLTConfig(variant="BL", widths=(4, 4, 4, 8, 8), image_size=16, n_classes=3, n_steps=3)
    net, history = fit(BLT(config, key=jax.random.key(0)), train, epochs=2, batch_size=16, learning_rate=1e-3,
                       augmented=False, seed=1, validation=validation)
    assert list(history.columns) == ["epoch", "loss", "seconds", "val_loss", "val_accuracy_0", "val_accuracy_1",
                                     "val_accuracy_2"]
    scores = evaluate(net, validation, batch=5)  # batches of 5: the sums must not depend on the batching
    raw, labels = validation.raw(slice(0, len(validation)))
    assert scores["val_loss"] == pytest.approx(float(blt_loss(net, validation.normalise(raw), labels)), rel=1e-5)
    predictions, _ = responses(net, validation)
    np.testing.assert_allclose([scores[f"val_accuracy_{t}"] for t in range(3)],
                               (predictions == labels[:, None]).mean(axis=0))
    assert history.val_loss.iloc[-1] == pytest.approx(scores["val_loss"], rel=1e-5)
