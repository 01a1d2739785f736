"""Does the multiscale design earn its place on anatomy it has never seen? An equal-time ablation.

Every model is trained by the same engine, recipe and wall-clock budget, with several seeds, on
the development cohort (ICBM 2009a brain, every case its own anatomy, sites 0-2). It is scored
on its validation cases (anatomies no training case has) and on the held-out test cohort
(another brain, avg152, at acquisition site 3, which training never saw). Beside the networks,
per-voxel classifiers that see only the four intensities of a voxel give the floor a network
must beat. For multiscale minus each rival: the mean difference of per-case test Dice (mean of
WT, TC, ET, and of the seeds) with a 95 % bootstrap interval over test cases (cases resampled,
paired, seeds kept together: the case is the unit that generalises).

    python benchmarks/ablation.py                                    # CPU, tiny presets
    python benchmarks/ablation.py --device cuda --preset base --budget-s 40 --patch 128
    python benchmarks/ablation.py --tables CSV --test-from BraTS2021_90016  # tables only

Models (``--models``, ``NAME@nnunet-aug`` trains NAME without the per-channel acquisition
augmentation): multiscale, singlescale (multiscale with every dilation 1: same parameters and FLOPs),
unet (MONAI), segresnet (MONAI), plainconvunet (nnU-Net's; skipped with a note when
dynamic-network-architectures is not installed). Per-case scores go to
``benchmarks/ablation-<device>-<preset>.csv``, the tables to benchmarks/RESULTS.md (CPU) or
RESULTS-gpu.md (CUDA).
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

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from intensity_baseline import case_dice, fit_classifiers  # noqa: E402

from smart_brains.config import TrainConfig  # noqa: E402
from smart_brains.data.cache import prepare  # noqa: E402
from smart_brains.data.labels import REGIONS  # noqa: E402
from smart_brains.data.splits import load_splits  # noqa: E402
from smart_brains.evaluation.evaluate import evaluate  # noqa: E402
from smart_brains.inference.predict import PredictOptions, predict  # noqa: E402
from smart_brains.synth.cohort import synth_cohort  # noqa: E402
from smart_brains.training.loop import fit  # noqa: E402

MODELS = ("multiscale", "singlescale", "unet", "segresnet", "plainconvunet")
# ``NAME@nnunet-aug``: the model trained with nnU-Net's intensity augmentation alone (no
# per-channel acquisition augmentation), to measure what the recipe's augmentation buys
NNUNET_AUGMENT = "nnunet-aug"


def available(name: str) -> bool:
    if not name.startswith("plainconvunet"):
        return True
    try:
        import dynamic_network_architectures  # noqa: F401
    except ImportError:
        return False
    return True


def cohorts(
    work: Path, n_dev: int, n_test: int, spacing: float, seed: int
) -> tuple[Path, Path, Path, Path]:
    """Synthesise and prepare the development and held-out test cohorts (reused when present)."""
    dev, test = work / "dev", work / "test"
    synth_cohort(dev, n_dev, seed, spacing, workers=2, progress=False)
    synth_cohort(test, n_test, seed, spacing, workers=2, progress=False, held_out=True)
    prepare(dev, work / "dev-cache", workers=2, seed=seed, progress=False)
    prepare(test, work / "test-cache", workers=2, seed=seed, progress=False)
    return dev, test, work / "dev-cache", work / "test-cache"


def train_and_score(args, name: str, seed: int, paths) -> pd.DataFrame:
    """Train one model for the budget (or, with ``--reuse-runs``, take the run already trained
    in the work folder); per-case Dice on validation and test cases."""
    dev, test, dev_cache, _ = paths
    model, _, variant = name.partition("@")
    cfg = TrainConfig(
        cache=str(dev_cache), name=f"{name}-{args.preset}-s{seed}", runs_dir=str(args.work / "runs"),
        model=model, preset=args.preset, acquisition_augment=variant != NNUNET_AUGMENT, epochs=10_000, steps_per_epoch=50, val_every=10**6,
        num_workers=args.workers, seed=seed, device=args.device, time_budget_s=args.budget_s,
        patch_size_vox=(args.patch,) * 3, batch_size=args.batch,
        optimizer=args.optimizer, lr=args.lr, precision="bf16",
    ).validate()  # fmt: skip
    root = Path(cfg.runs_dir) / cfg.name
    if not (args.reuse_runs and (root / "checkpoints" / "last.pt").is_file()):
        root = fit(cfg, resume=False, progress=False).root
    metrics = pd.read_csv(root / "metrics.csv")
    steps = len(metrics) * cfg.steps_per_epoch
    seconds = float(metrics["train_seconds"].max())
    splits = load_splits(dev_cache / "splits.json")
    rows = []
    for split, data, ids in (("val", dev, splits["val"]), ("test", test, None)):
        out = args.work / "predictions" / cfg.name / split
        predict(root, data, out, device=args.device, case_ids=ids, progress=False,
                options=PredictOptions(overwrite=True))  # fmt: skip
        scores = evaluate(out, data, case_ids=ids).scores
        for r in scores.itertuples():
            rows.append({"model": name, "seed": seed, "split": split, "case_id": r.case_id,
                         "region": r.region, "dice": r.dice, "steps": steps,
                         "train_s": round(seconds, 1)})  # fmt: skip
    return pd.DataFrame(rows)


def intensity_rows(paths, n_samples: int) -> pd.DataFrame:
    """Per-case test and validation Dice of the intensity-only classifiers."""
    _, _, dev_cache, test_cache = paths
    splits = load_splits(dev_cache / "splits.json")
    test_ids = load_splits(test_cache / "splits.json")
    test_ids = sorted(test_ids["train"] + test_ids["val"])
    rows = []
    for label, model in fit_classifiers(dev_cache, splits["train"], n_samples, seed=0).items():
        name = f"intensity-only {label}"
        for split, cache, ids in (
            ("val", dev_cache, splits["val"]),
            ("test", test_cache, test_ids),
        ):
            table = case_dice(model, cache, ids)
            for case_id, row in table.iterrows():
                for region in REGIONS:
                    rows.append({"model": name, "seed": 0, "split": split, "case_id": case_id,
                                 "region": region, "dice": row[region]})  # fmt: skip
    return pd.DataFrame(rows)


def paired_bootstrap(
    a: pd.Series, b: pd.Series, n: int = 10_000, seed: int = 0
) -> tuple[float, float, float]:
    """Mean of a - b over cases (index: case id, values already averaged over seeds and
    regions) and its 95 % percentile bootstrap interval, cases resampled."""
    diff = (a - b.reindex(a.index)).to_numpy()
    rng = np.random.default_rng(seed)
    means = diff[rng.integers(0, len(diff), size=(n, len(diff)))].mean(1)
    return float(diff.mean()), float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))


def test_cases_from(scores: pd.DataFrame, first: str | None) -> pd.DataFrame:
    """``scores`` without the test cases whose id sorts before ``first`` (None: all kept)."""
    if first is None:
        return scores
    return scores[(scores.split != "test") | (scores.case_id >= first)]


def tables(scores: pd.DataFrame, reference: str = "multiscale") -> list[str]:
    """Markdown tables: per model mean Dice (val, test per region), and the paired intervals."""
    test = scores[scores.split == "test"]
    val = scores[scores.split == "val"]
    lines = [
        "| model | steps (mean of seeds) | validation mean Dice (unseen anatomy) | test WT | test TC | test ET | **test mean** |",
        "|---|---|---|---|---|---|---|",
    ]
    order = list(dict.fromkeys(scores["model"]))
    per_case = test.groupby(["model", "case_id"])["dice"].mean()
    for model in order:
        t = test[test.model == model].groupby("region")["dice"].mean()
        steps = scores[scores.model == model]["steps"].mean()
        lines.append(
            f"| {model} | {'' if np.isnan(steps) else f'{steps:.0f}'} | "
            f"{val[val.model == model]['dice'].mean():.3f} | "
            + " | ".join(f"{t.get(r, float('nan')):.3f}" for r in REGIONS)
            + f" | **{test[test.model == model]['dice'].mean():.3f}** |"
        )
    intensity = test[test.model.str.startswith("intensity-only")]
    floor = intensity.groupby(["model", "region"])["dice"].mean().groupby("region").max()
    if reference not in order:  # nothing to pair with (--models without it, no --reuse)
        return lines
    lines += ["", f"{reference} minus each rival, test cases (per case: mean of regions and seeds):", "",
              "| rival | difference | 95 % interval | cases where " + reference + " is better | every region above the intensity-only floor? |",
              "|---|---|---|---|---|"]  # fmt: skip
    for model in order:
        means = test[test.model == model].groupby("region")["dice"].mean()
        beats = "yes" if all(means.get(r, 0) > floor.get(r, 1) for r in REGIONS) else "no"
        if model == reference or model.startswith("intensity-only"):
            if model == reference:
                lines.append(f"| ({reference} itself) | | | | {beats} |")
            continue
        d, lo, hi = paired_bootstrap(per_case[reference], per_case[model])
        better = int(
            (per_case[reference] > per_case[model].reindex(per_case[reference].index)).sum()
        )
        lines.append(
            f"| {model} | {d:+.3f} | {lo:+.3f} to {hi:+.3f} | {better} of {len(per_case[reference])} | {beats} |"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--preset", default="tiny")
    parser.add_argument("--budget-s", type=float, default=120.0, help="training seconds per run")
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--n-dev", type=int, default=30, help="development cases (80:20 split)")
    parser.add_argument("--n-test", type=int, default=8, help="held-out test cases")
    parser.add_argument("--spacing", type=float, default=2.0)
    parser.add_argument("--patch", type=int, default=48)
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--optimizer", default="adamw")
    parser.add_argument("--lr", type=float, default=1e-2)
    parser.add_argument("--workers", type=int, default=1, help="data-loader workers")
    parser.add_argument(
        "--samples", type=int, default=400_000, help="intensity-only training voxels"
    )
    parser.add_argument("--work", type=Path, default=HERE / "work" / "ablation")
    parser.add_argument(
        "--reuse", type=Path, help="per-case CSV of an earlier run: keep its other models' rows"
    )
    parser.add_argument(
        "--reuse-runs", action="store_true",
        help="score runs already trained in --work instead of training them again (for "
        "example after adding test cases with a larger --n-test)",
    )  # fmt: skip
    parser.add_argument("--no-write", action="store_true", help="do not append to RESULTS*.md")
    parser.add_argument(
        "--tables", type=Path, metavar="CSV",
        help="print the tables of an earlier run's per-case CSV and stop (nothing trained)",
    )  # fmt: skip
    parser.add_argument(
        "--test-from", metavar="CASE_ID",
        help="with --tables: only test cases from this id on (a replication on cases added "
        "after the earlier decisions)",
    )  # fmt: skip
    args = parser.parse_args()
    if args.tables:
        print("\n".join(tables(test_cases_from(pd.read_csv(args.tables), args.test_from))))
        return
    started = time.perf_counter()
    paths = cohorts(args.work, args.n_dev, args.n_test, args.spacing, seed=0)
    splits = load_splits(paths[2] / "splits.json")
    scores, skipped = [], []
    models = args.models.split(",")
    if args.reuse:  # earlier per-case scores of the models not run now (same cohort and budget)
        earlier = pd.read_csv(args.reuse)
        keep = ~earlier.model.isin(models) & ~earlier.model.str.startswith("intensity-only")
        scores.append(earlier[keep])
    for name in models:
        if not available(name):
            skipped.append(name)
            continue
        for seed in (int(s) for s in args.seeds.split(",")):
            table = train_and_score(args, name, seed, paths)
            scores.append(table)
            print(f"{name} seed {seed}: {table['steps'].iloc[0]} steps; test mean Dice "
                  f"{table[table.split == 'test']['dice'].mean():.3f}", flush=True)  # fmt: skip
    scores.append(intensity_rows(paths, args.samples).assign(steps=np.nan, train_s=np.nan))
    all_scores = pd.concat(scores, ignore_index=True)
    csv = HERE / f"ablation-{args.device}-{args.preset}.csv"
    all_scores.to_csv(csv, index=False)
    lines = tables(all_scores)
    print("\n".join(lines))
    wall = time.perf_counter() - started
    if args.no_write:
        return
    machine = f"{platform.machine()} {platform.node()} ({os.cpu_count()} CPU cores)"
    if args.device.startswith("cuda"):
        import torch

        machine = torch.cuda.get_device_name(0)
    header = [
        f"\n## Ablation on unseen anatomy: {date.today().isoformat()}, {machine}\n",
        f"Command: `python benchmarks/ablation.py {' '.join(sys.argv[1:])}` ({wall / 60:.1f} min in all). "
        f"Each model {args.budget_s:.0f} s of training, seeds {args.seeds}, {args.preset} presets, "
        f"{args.patch}^3 patches x {args.batch}, {args.optimizer} lr {args.lr}, bf16 autocast and "
        f"channels-last; development cohort "
        f"{args.n_dev} cases at {args.spacing} mm ({len(splits['train'])} train, "
        f"{len(splits['val'])} validation: anatomies no training case has), held-out test cohort "
        f"{args.n_test} cases (brain avg152, site 3: neither seen in training). Per-case scores: "
        f"`benchmarks/{csv.name}`."
        + (f" Rows of models not run now come from `{args.reuse}`." if args.reuse else "")
        + (f" Not run (not installed): {', '.join(skipped)}." if skipped else "")
        + "\n",
    ]
    results = HERE / ("RESULTS-gpu.md" if args.device.startswith("cuda") else "RESULTS.md")
    with results.open("a") as f:
        f.write("\n".join(header + lines) + "\n")
    print(f"appended to {results}")


if __name__ == "__main__":
    main()
