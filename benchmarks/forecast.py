"""Growth forecasts on series with a known truth: is the last scan where the earlier ones say?

    python benchmarks/forecast.py [--n 10] [--timepoints 4] [--spacing 2]

1. `synth --timepoints K --tumours growth`: N patients, K dated scans each, tumours grown by the
   growth model with known parameters (``synth/grown_series.py``).
2. Per patient, `smart-brains longitudinal` on the first K-1 scans with `--forecast-date` the
   last scan's date (segmentations: the true labels, then the packaged model's predictions).
3. Against the last scan's truth: relative volume error of WT, TC and ET and whether the 95 %
   interval holds the truth; Dice of the forecast whole-tumour extent; beside two naive
   forecasts: no growth (the last scan again) and the last growth rate (the exponential through
   the last two scans; its extent the last mask dilated to that volume).

This checks the fitting and the forecasts against the model that made the data, not the biology
of real tumours: there are no real longitudinal cases here.
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
from datetime import date
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd
from scipy import ndimage

ROOT = Path(__file__).resolve().parents[1]


def cli(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "smart_brains", *args], check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip


def _mask(path: Path) -> np.ndarray:
    return np.asarray(nib.load(str(path)).dataobj) > 0


def _dice(a: np.ndarray, b: np.ndarray) -> float:
    total = a.sum() + b.sum()
    return 1.0 if total == 0 else float(2 * (a & b).sum() / total)


def _dilated_to(mask: np.ndarray, voxels: float) -> np.ndarray:
    """``mask`` dilated one voxel at a time until it has at least ``voxels`` voxels."""
    out = mask.copy()
    for _ in range(60):
        if out.sum() >= voxels:
            break
        out = ndimage.binary_dilation(out)
    return out


def patient_scores(series: Path, segs: Path, truth: pd.DataFrame, patient: str, work: Path) -> dict:
    """Forecast ``patient``'s last scan from the earlier ones (segmentations in ``segs``)."""
    scans = truth[truth.patient_id == patient].sort_values("timepoint")
    early, last = scans.iloc[:-1], scans.iloc[-1]
    out = work / patient
    work.mkdir(parents=True, exist_ok=True)
    early[["case_id", "patient_id", "date"]].to_csv(work / f"{patient}.csv", index=False)
    cli("longitudinal", str(segs), "--out", str(out), "--timepoints", str(work / f"{patient}.csv"),
        "--data", str(series), "--forecast-date", last.date, "--no-report")  # fmt: skip
    forecast = pd.read_csv(out / "forecast.csv").set_index("region")
    measured = pd.read_csv(out / "measurements.csv")
    row = {"patient_id": patient, "days_ahead": int(last.day - early.day.iloc[-1])}
    for region in ("WT", "TC", "ET"):
        true = float(last[f"{region.lower()}_cm3"])
        got = forecast.loc[region]
        before = measured[f"{region.lower()}_cm3"].to_numpy()
        days = measured["days"].to_numpy(float)
        rate = np.log(before[-1] / before[-2]) / (days[-1] - days[-2]) if before[-2] > 0 else 0.0
        last_rate = before[-1] * np.exp(rate * (last.day - early.day.iloc[-1]))
        row[f"{region}_true"] = true
        row[f"{region}_error"] = abs(got.volume_cm3 - true) / true if true else np.nan
        row[f"{region}_covered"] = bool(got.low_cm3 <= true <= got.high_cm3)
        row[f"{region}_error_no_growth"] = abs(before[-1] - true) / true if true else np.nan
        row[f"{region}_error_last_rate"] = abs(last_rate - true) / true if true else np.nan
        if region == "WT":
            wt_rate = last_rate
    true_image = nib.load(str(series / last.case_id / f"{last.case_id}-seg.nii.gz"))
    true_mask = np.asarray(true_image.dataobj) > 0
    voxel_cm3 = float(np.prod(true_image.header.get_zooms()[:3])) / 1000
    previous = early.case_id.iloc[-1]
    prev_file = segs / f"{previous}.nii.gz"
    prev_mask = _mask(
        prev_file if prev_file.is_file() else segs / previous / f"{previous}-seg.nii.gz"
    )
    spatial = pd.read_csv(out / "spatial.csv").iloc[0]
    extent = out / "forecast" / f"{patient}_forecast_wt.nii.gz"
    row["dice_forecast"] = _dice(_mask(extent), true_mask) if extent.is_file() else np.nan
    row["dice_no_growth"] = _dice(prev_mask, true_mask)
    row["dice_last_rate"] = _dice(_dilated_to(prev_mask, wt_rate / voxel_cm3), true_mask)
    row["d_true"], row["rho_true"] = float(last.d_white), float(last.rho)
    row["d_fit"], row["rho_fit"] = spatial.get("d_white_mm2_per_day"), spatial.get("rho_per_day")
    return row


def summarise(scores: pd.DataFrame, source: str) -> None:
    print(
        f"**From {source}** ({len(scores)} patients; median relative volume error, share of "
        "95 % intervals holding the truth; mean Dice of the whole-tumour extent)\n"
    )
    print("| forecast | WT error | TC error | ET error | intervals hold | WT extent Dice |\n"
          "|---|---|---|---|---|---|")  # fmt: skip
    covered = scores[[f"{r}_covered" for r in ("WT", "TC", "ET")]].to_numpy().mean()
    for name, suffix, dice in (("fitted model", "", "dice_forecast"),
                               ("no growth", "_no_growth", "dice_no_growth"),
                               ("last growth rate", "_last_rate", "dice_last_rate")):  # fmt: skip
        errors = " | ".join(
            f"{scores[f'{r}_error{suffix}'].median():.3f}" for r in ("WT", "TC", "ET")
        )
        hold = f"{covered:.2f}" if not suffix else ""
        print(f"| {name} | {errors} | {hold} | {scores[dice].mean():.3f} |")
    speed_true = 2 * np.sqrt(scores.d_true * scores.rho_true)
    speed_fit = 2 * np.sqrt(scores.d_fit.astype(float) * scores.rho_fit.astype(float))
    ratio = (speed_fit / speed_true).dropna()
    print(
        f"\nFront speed 2 sqrt(D rho) fitted / true: median {ratio.median():.2f} "
        f"(range {ratio.min():.2f}-{ratio.max():.2f}).\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10)
    parser.add_argument("--timepoints", type=int, default=4)
    parser.add_argument("--spacing", default="2")
    parser.add_argument("--seed", default="11")
    parser.add_argument("--work", default="/tmp/smart-brains-forecast")
    args = parser.parse_args()
    work = Path(args.work)
    series = work / "series"
    if not (series / "truth.csv").is_file():
        cli("synth", "--timepoints", str(args.timepoints), "--tumours", "growth", "--n", str(args.n),
            "--spacing", args.spacing, "--seed", args.seed, "--out", str(series), "--workers", "2")  # fmt: skip
    truth = pd.read_csv(series / "truth.csv")
    predicted = work / "predicted"
    if not predicted.is_dir():
        cli("predict", str(series), "--out", str(predicted))
    print(
        f"## Growth forecasts on grown series ({date.today()}, {platform.node()}, "
        f"{platform.machine()})\n"
    )
    print(
        f"`python benchmarks/forecast.py --n {args.n} --timepoints {args.timepoints} "
        f"--spacing {args.spacing} --seed {args.seed}`\n"
    )
    for source, segs in (
        ("the true labels", series),
        ("the packaged model's segmentations", predicted),
    ):
        kept = work / f"scores-{source.split()[-1]}.csv"
        if kept.is_file():  # scored by an earlier run over the same work folder
            scores = pd.read_csv(kept)
        else:
            rows = [patient_scores(series, segs, truth, p, work / source.split()[-1])
                    for p in sorted(truth.patient_id.unique())]  # fmt: skip
            scores = pd.DataFrame(rows)
            scores.to_csv(kept, index=False)
        summarise(scores, source)


if __name__ == "__main__":
    main()
