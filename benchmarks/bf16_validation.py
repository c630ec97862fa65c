"""Does training with bfloat16 recurrent products (``train.matmul = "bfloat16"``) give the same
networks as float32? The built-in demo study run twice, once per setting, then compared:

- trained losses: every network's validation loss (always computed in float32), paired by
  group, phase and replicate (same seeds, same search draws); the median ratio bf16 / float32
  with a bootstrap 95 % interval over networks, a Wilcoxon signed-rank test on the paired log
  losses, and, as the scale of what "the same" means, the spread between the seeds of one
  configuration in the float32 run (median |log ratio| between seed networks of a group);
- fixed-point topology: per network analysed in both runs, the numbers of stable and of all
  fixed points (the topology stage's table; per condition for the context task), and the modal
  counts;
- the run times of the two studies (the same machine, one after the other).

    python benchmarks/bf16_validation.py [--out runs/bf16-validation] [--reuse]

``--reuse`` compares stores already under ``--out`` without training again. Needs a CPU with
AVX512-BF16 (the setting is refused elsewhere).
"""

from __future__ import annotations

import argparse
import importlib.resources
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

SETTINGS = ("float32", "bfloat16")


def study_file(out: Path, matmul: str) -> Path:
    """The demo's study file with ``train.matmul`` set."""
    text = (importlib.resources.files("rnnpop.studies") / "demo.toml").read_text()
    text = text.replace('name = "demo"', f'name = "demo-{matmul}"').replace("[train]\n", f'[train]\nmatmul = "{matmul}"\n')
    path = out / f"demo-{matmul}.toml"
    path.write_text(text)
    return path


def losses(store: Path) -> pd.DataFrame:
    tables = [pd.read_parquet(path) for path in sorted((store / "groups").glob("*/metrics.parquet"))]
    return pd.concat(tables).set_index(["group", "phase", "replicate"])


def topology(store: Path) -> dict[str, pd.DataFrame]:
    """Per task, the topology stage's table: fixed points per network (and per condition where
    the task has several), indexed by group, network and condition."""
    out = {}
    for path in sorted((store / "analysis").glob("topology-*/networks.parquet")):
        table = pd.read_parquet(path)
        keys = ["group", "network_id"] + (["condition"] if "condition" in table else [])
        out[path.parent.name.removeprefix("topology-")] = table.set_index(keys)
    return out


def _median_interval(log_ratio: np.ndarray, seed: int) -> tuple[float, float, float]:
    """The median ratio and its 95 % bootstrap interval (over networks) from log ratios."""
    rng = np.random.default_rng(seed)
    boot = [np.median(rng.choice(log_ratio, log_ratio.size)) for _ in range(2000)]
    low, high = np.percentile(boot, [2.5, 97.5])
    return float(np.exp(np.median(log_ratio))), float(np.exp(low)), float(np.exp(high))


def compare_losses(f32: pd.DataFrame, b16: pd.DataFrame, seed: int = 0) -> None:
    """Paired validation losses: the search draws (the same hyperparameters in both runs),
    then the seed networks of the groups whose selected draw is the same in both."""
    from scipy.stats import wilcoxon

    keep = ["validation_loss", "learning_rate", "selected"]
    both = f32[keep].join(b16[keep], suffixes=("", "_bf16"), how="inner").dropna(subset=["validation_loss",
                                                                                  "validation_loss_bf16"])
    phase = both.index.get_level_values("phase")
    same_draw = both.groupby(level="group").apply(
        lambda g: bool(np.isclose(g.learning_rate[g.selected].iloc[0], g.learning_rate_bf16[g.selected_bf16].iloc[0])))
    print(f"selected search draw: the same in {int(same_draw.sum())} of {same_draw.size} groups")
    seeds_f32 = f32[f32.index.get_level_values("phase") == "seed"]
    between = np.concatenate([np.abs(np.log(v[:, None] / v[None]))[np.triu_indices(v.size, 1)]
                              for v in (g.validation_loss.to_numpy() for _, g in seeds_f32.groupby(level="group"))
                              if v.size > 1])
    for name, rows in (("search draws (same hyperparameters)", both[phase == "search"]),
                       ("seed networks, groups with the same selected draw",
                        both[(phase == "seed") & same_draw.reindex(both.index.get_level_values("group")).to_numpy()])):
        log_ratio = np.log(rows.validation_loss_bf16.to_numpy() / rows.validation_loss.to_numpy())
        ratio, low, high = _median_interval(log_ratio, seed)
        print(f"validation loss bf16 / float32, {name}: n = {log_ratio.size}, median ratio {ratio:.3f} "
              f"(95 % bootstrap [{low:.3f}, {high:.3f}]), Wilcoxon signed-rank p = {wilcoxon(log_ratio).pvalue:.3f}; "
              f"median |log ratio| {np.median(np.abs(log_ratio)):.3f}")
    print(f"  for scale: median |log ratio| between two seeds of one configuration (float32): "
          f"{np.median(between):.3f} (n = {between.size} pairs)")
    per_group = both.groupby(level="group")[["validation_loss", "validation_loss_bf16"]].median()
    per_group["ratio"] = per_group.validation_loss_bf16 / per_group.validation_loss
    print(per_group.rename(columns={"validation_loss": "float32", "validation_loss_bf16": "bfloat16"})
          .to_string(float_format=lambda x: f"{x:.4g}"))


def compare_topology(f32: dict[str, pd.DataFrame], b16: dict[str, pd.DataFrame]) -> None:
    for task in sorted(set(f32) | set(b16)):
        counts = [c for c in ("n_stable", "n_points") if c in f32.get(task, ()) and c in b16.get(task, ())]
        both = f32[task][counts].join(b16[task][counts], suffixes=("", "_bf16"), how="inner") if counts else pd.DataFrame()
        if both.empty:
            print(f"{task}: no network passed the inclusion rule in both runs")
            continue
        parts = [f"{task}: {len(both)} networks{' × conditions' if 'condition' in both.index.names else ''} in both"]
        for c in counts:
            parts.append(f"same {c} {int((both[c] == both[c + '_bf16']).sum())}; modal {c} float32 "
                         f"{both[c].mode().tolist()}, bf16 {both[c + '_bf16'].mode().tolist()}")
        print("; ".join(parts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("runs/bf16-validation"))
    parser.add_argument("--reuse", action="store_true", help="compare the stores under --out, no training")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    rnnpop = str(Path(sys.executable).with_name("rnnpop"))
    if not args.reuse:
        for matmul in SETTINGS:
            start = time.perf_counter()
            subprocess.run([rnnpop, "run", str(study_file(args.out, matmul)), "--store", str(args.out / matmul),
                            "--yes"], check=True, stdout=subprocess.DEVNULL)
            print(f"{matmul}: the demo study in {time.perf_counter() - start:.0f} s")
    f32, b16 = (args.out / m for m in SETTINGS)
    compare_losses(losses(f32), losses(b16))
    compare_topology(topology(f32), topology(b16))


if __name__ == "__main__":
    main()
