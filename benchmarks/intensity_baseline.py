"""Does the embedded cohort need context? An intensity-only voxel classifier against the CNN.

Runs (or reuses) ``smart-brains demo``, then trains per-voxel classifiers that see only the four
z-scored intensities of one voxel (logistic regression and gradient boosting, scikit-learn) on
the demo's training cases, and scores them on the same held-out cases as the CNN, with the same
BraTS region Dice.

    python benchmarks/intensity_baseline.py [--demo-out smart-brains-demo]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression

from smart_brains.data.cache import open_case
from smart_brains.data.labels import REGIONS, labels_to_regions
from smart_brains.data.splits import load_splits
from smart_brains.evaluation.metrics import dice
from smart_brains.workflows.demo import DemoConfig, run_demo

RESULTS = Path(__file__).parent / "RESULTS.md"


def voxels(cache: Path, case_id: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(N, C) intensities and (N,) labels of the brain voxels of a prepared case, and the mask."""
    case = open_case(cache, case_id)
    image = np.asarray(case.image, dtype=np.float32)
    brain = np.any(image != 0, axis=0)
    return image[:, brain].T, np.asarray(case.label)[brain], brain


def fit_classifiers(
    cache: Path, train_ids: list[str], n_samples: int, seed: int
) -> dict[str, object]:
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    per_case = n_samples // len(train_ids)
    for cid in train_ids:
        x, y, _ = voxels(cache, cid)
        pick = rng.choice(len(y), size=min(per_case, len(y)), replace=False)
        xs.append(x[pick])
        ys.append(y[pick])
    x, y = np.concatenate(xs), np.concatenate(ys)
    return {
        "logistic regression": LogisticRegression(max_iter=500).fit(x, y),
        "gradient boosting": HistGradientBoostingClassifier(max_iter=200, random_state=seed).fit(
            x, y
        ),
    }


def case_dice(model: object, cache: Path, case_ids: list[str]) -> pd.DataFrame:
    """Region Dice of ``model`` on each case: rows case ids, columns WT, TC, ET."""
    rows = {}
    for cid in case_ids:
        x, y, brain = voxels(cache, cid)
        pred = np.zeros(brain.shape, np.uint8)
        pred[brain] = model.predict(x)  # type: ignore[attr-defined]
        ref = np.zeros(brain.shape, np.uint8)
        ref[brain] = y
        p, r = labels_to_regions(pred), labels_to_regions(ref)
        rows[cid] = {region: dice(p[i], r[i]) for i, region in enumerate(REGIONS)}
    return pd.DataFrame.from_dict(rows, orient="index")[list(REGIONS)]


def score_classifier(model: object, cache: Path, val_ids: list[str]) -> dict[str, float]:
    return case_dice(model, cache, val_ids).mean().to_dict()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--demo-out", default=str(Path(__file__).parent / "work" / "demo"))
    parser.add_argument(
        "--samples", type=int, default=400_000, help="training voxels for the classifiers"
    )
    parser.add_argument("--no-write", action="store_true", help="do not append to RESULTS.md")
    args = parser.parse_args()

    reused = (Path(args.demo_out) / "runs" / "demo" / "checkpoints" / "last.pt").exists()
    started = time.perf_counter()
    demo = run_demo(DemoConfig(out=args.demo_out))
    demo_seconds = time.perf_counter() - started
    timing = (
        "reused an earlier demo run"
        if reused
        else f"demo wall time {demo_seconds:.0f} s: {demo.seconds}"
    )
    cache = Path(args.demo_out) / "cache"
    splits = load_splits(cache / "splits.json")
    rows = {
        f"CNN (smart-brains demo, {DemoConfig().model} tiny)": demo.summary["dice_mean"].to_dict()
    }
    for name, model in fit_classifiers(cache, splits["train"], args.samples, seed=0).items():
        rows[f"intensity-only {name}"] = score_classifier(model, cache, splits["val"])
    table = pd.DataFrame(rows).T[list(REGIONS)]
    cnn = table.iloc[0]
    best_voxel = table.iloc[1:].max()
    ratio = (cnn / best_voxel).rename("CNN / best intensity-only")
    print(table.round(3).to_string())
    print(ratio.round(2).to_string())
    if args.no_write:
        return
    lines = [
        f"\n## Intensity-only baseline vs CNN: {date.today().isoformat()}, "
        f"{platform.machine()} {platform.node()} ({os.cpu_count()} CPU cores), {len(splits['train'])} train / {len(splits['val'])} "
        f"held-out synthetic cases\n",
        f"Command: `python benchmarks/intensity_baseline.py {' '.join(sys.argv[1:])}` (demo defaults: "
        f"{DemoConfig().n_cases} cases at {DemoConfig().spacing_mm} mm; {timing}). "
        "Mean Dice over the held-out cases:\n",
        "| model | " + " | ".join(REGIONS) + " |",
        "|---|" + "---|" * len(REGIONS),
        *[
            f"| {name} | " + " | ".join(f"{v:.3f}" for v in row) + " |"
            for name, row in table.iterrows()
        ],
        "| **ratio CNN / best intensity-only** | " + " | ".join(f"{v:.2f}" for v in ratio) + " |",
    ]
    with RESULTS.open("a") as f:
        f.write("\n".join(lines) + "\n")
    print(f"appended to {RESULTS}")


if __name__ == "__main__":
    main()
