"""The packaged model (or any run) on data it never saw, through the command line a user runs.

    python benchmarks/pretrained.py --model runs/glioma-2mm [--package glioma-2mm]
    python benchmarks/pretrained.py                      # the packaged default model

1. Real validation cases (``../shared/data/real-val``: four BraTS 2021 cases with expert
   segmentations, never used to build training data), at their native 1 mm: `smart-brains
   predict` from process start (timed), then `smart-brains evaluate` (brats2021 rules).
2. Generated test cohorts: `synth --held-out` (another brain, avg152, at an acquisition
   site no development case uses), and any ``--test`` folder (e.g. `synth --real-source` cases
   of another seed), predicted and scored the same way; the quality flag's ROC AUC for WT Dice
   < 0.7 (its ``risk`` score, 95 % bootstrap interval) on all of them together.
3. With ``--package NAME``: writes ``src/smart_brains/weights/NAME.safetensors`` (float16
   weights, config, tuned post-processing, and what was measured here), which `predict` then
   uses without ``--model``.

Prints a Markdown section for benchmarks/RESULTS.md and writes per-case CSVs to ``--work``.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


def cli(*args: str) -> float:
    """Run ``smart-brains ARGS`` in a fresh process; returns its wall time in seconds."""
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "smart_brains", *args], check=True, stdout=subprocess.DEVNULL
    )
    return time.perf_counter() - start


def score(
    model: str, data: Path, work: Path, name: str, extra: list[str]
) -> tuple[pd.DataFrame, float]:
    """Per-case Dice of ``model`` on ``data`` (a fresh predict, timed, then evaluate)."""
    pred = work / f"{name}-pred"
    seconds = cli("predict", str(data), "--model", model, "--out", str(pred), "--overwrite", *extra)
    cli(
        "evaluate",
        str(pred),
        str(data),
        "--challenge",
        "brats2021",
        "--out",
        str(work / f"{name}-eval"),
    )
    scores = pd.read_csv(work / f"{name}-eval" / "scores.csv")
    table = scores.pivot(index="case_id", columns="region", values="dice")[["WT", "TC", "ET"]]
    quality = pd.read_csv(work / f"{name}-pred-extras" / "quality.csv", keep_default_na=False)
    return table.join(quality.set_index("case_id")[["risk", "flag"]]), seconds


def quality_auc(table: pd.DataFrame) -> str:
    from smart_brains.evaluation.classification import auc_interval, binary_auc

    bad = (table["WT"] < 0.7).to_numpy()
    if bad.all() or not bad.any():
        return f"not measurable ({bad.sum()} of {len(bad)} cases have WT Dice < 0.7)"
    risk = table["risk"].to_numpy()
    value = binary_auc(bad, risk)
    probs = np.stack([1 - risk, risk], axis=1)
    low, high = auc_interval(np.where(bad, "bad", "good"), probs, ["good", "bad"])
    flagged = (table["flag"] == "review").to_numpy()
    return (
        f"ROC AUC {value:.2f} (95 % interval {low:.2f}-{high:.2f}) over {len(bad)} cases, "
        f"{bad.sum()} with WT Dice < 0.7; the flag sends {flagged.sum()} to review "
        f"({(flagged & bad).sum()} of the bad ones, {(flagged & ~bad).sum()} good ones)"
    )


def model_load_seconds(model: str) -> float:
    """Median of 5 loads of the model into a ``Predictor`` (weights, network, tuning)."""
    from smart_brains.inference.predict import Predictor

    times = []
    for _ in range(5):
        start = time.perf_counter()
        Predictor.from_checkpoints([model], "cpu")
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def package(run: Path, name: str, info: dict) -> Path:
    from smart_brains.checkpoint import WEIGHTS_DIR, load_weights, save_packaged
    from smart_brains.paths import RunDir

    run_dir = RunDir(run)
    state, cfg = load_weights(run_dir.weights)
    tuned = (
        json.loads(run_dir.postprocessing.read_text()) if run_dir.postprocessing.is_file() else {}
    )
    info = {**info, **({"min_voxels": tuned["min_voxels"]} if "min_voxels" in tuned else {})}
    return save_packaged(WEIGHTS_DIR / f"{name}.safetensors", state, cfg, info)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="glioma-2mm", help="run folder or packaged model")
    parser.add_argument("--real-val", default=str(SHARED / "real-val"))
    parser.add_argument("--held-out", type=int, default=16, help="generated test cases")
    parser.add_argument(
        "--test",
        action="append",
        help="another generated test folder (e.g. synth --real-source with another seed); repeatable",
    )
    parser.add_argument("--work", default="/tmp/smart-brains-pretrained")
    parser.add_argument("--package", help="package the run under this name (needs a run folder)")
    parser.add_argument("--tta", default="none")
    parser.add_argument(
        "--trained-on",
        default="generated data only: 200 cases at 2 mm, 120 made by `synth --real-source` from "
        "two real brains (TCGA-FG-6692, TCGA-DU-7294) and 80 of the template cohort; no real "
        "training case",
        help="what the packaged run was trained on (shown by `smart-brains models`)",
    )
    parser.add_argument(
        "--not-for",
        default="clinical use: a research tool, trained on generated images of two real "
        "brains and one template",
        help="what the packaged model is not for (shown by `smart-brains models`)",
    )
    args = parser.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    extra = ["--tta", args.tta]
    real, real_s = score(args.model, Path(args.real_val), work, "real-val", extra)
    one_case = sorted(p for p in Path(args.real_val).iterdir() if p.is_dir())[0]
    single_s = cli(
        "predict",
        str(one_case),
        "--model",
        args.model,
        "--out",
        str(work / "one"),
        "--overwrite",
        *extra,
    )
    load_s = model_load_seconds(args.model)
    held_out = work / "held-out"
    if not held_out.is_dir():
        cli("synth", "--held-out", "--n", str(args.held_out), "--seed", "0", "--spacing", "2",
            "--out", str(held_out), "--workers", "2")  # fmt: skip
    tests = {"held-out generated (avg152 brain, site 3), 2 mm": held_out}
    tests.update(
        {
            f"generated from the source brains, seed of {Path(t).name}, 2 mm": Path(t)
            for t in args.test or []
        }
    )
    scored = {
        name: score(args.model, folder, work, f"test{i}", extra)[0]
        for i, (name, folder) in enumerate(tests.items())
    }
    real.to_csv(work / "real-val.csv")
    test = pd.concat(scored.values())
    test.to_csv(work / "held-out.csv")
    per_case = ", ".join(f"{c} {r.WT:.3f}/{r.TC:.3f}/{r.ET:.3f}" for c, r in real.iterrows())
    mean_real = real[["WT", "TC", "ET"]].mean()
    print(
        f"## Packaged model on data it never saw ({date.today()}, {platform.node()}, {platform.processor() or platform.machine()})\n"
    )
    print(f"`python benchmarks/pretrained.py --model {args.model} --tta {args.tta}`\n")
    print("| cases | WT | TC | ET |\n|---|---|---|---|")
    print(
        f"| real validation, 1 mm ({len(real)}) | {mean_real.WT:.3f} | {mean_real.TC:.3f} | {mean_real.ET:.3f} |"
    )
    for name, table in scored.items():
        m = table[["WT", "TC", "ET"]].mean()
        print(f"| {name} ({len(table)}) | {m.WT:.3f} | {m.TC:.3f} | {m.ET:.3f} |")
    print()
    print(f"Per real case (WT/TC/ET Dice): {per_case}.")
    print(
        f"Prediction of the {len(real)} real cases from process start: {real_s:.1f} s ({real_s / len(real):.1f} s per case, one process)."
    )
    print(
        f"One case from process start to its NIfTI written: {single_s:.1f} s; loading the model (weights and network, in a running process): {load_s:.2f} s."
    )
    print(f"Quality flag on all the generated test cases together: {quality_auc(test)}.")
    print(
        f"On the real cases: {', '.join(f'{c} {r.flag} (risk {r.risk:.2f})' for c, r in real.iterrows())}."
    )
    if args.package:
        info = {
            "trained_on": args.trained_on,
            "real_validation": f"mean Dice on 4 BraTS 2021 cases at 1 mm, --tta {args.tta}: "
            f"WT {mean_real.WT:.3f} TC {mean_real.TC:.3f} ET {mean_real.ET:.3f} ({per_case})",
            "not_for": args.not_for,
        }
        print(f"\npackaged: {package(Path(args.model), args.package, info)}")


if __name__ == "__main__":
    main()
