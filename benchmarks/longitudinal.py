"""Following patients over time, end to end, on generated series with known responses.

    python benchmarks/longitudinal.py [--patients 10] [--timepoints 3] [--model glioma-2mm]

1. `synth --timepoints K` writes patients whose tumour grows, shrinks, vanishes, stays or gains
   a lesion by known amounts (BraTS 2023 layout, 2 mm), with the true RANO / RANO 2.0 responses.
2. `predict` segments every scan with the packaged model (or ``--model``); `longitudinal` runs on
   the predictions and on the generator's reference segmentations.
3. Agreement of the response categories with the truth (follow-up scans only: the baseline is
   always "baseline"), per-scan ET volume error of the predictions, and the measurement's time
   per scan at 1 mm on the real validation cases' expert segmentations (``../shared``).

Prints a Markdown section for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
REAL_VAL = ROOT.parent / "shared" / "data" / "real-val"


def cli(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "smart_brains", *args], check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip


def agreement(truth: pd.DataFrame, got: pd.DataFrame) -> dict[str, str]:
    follow = truth[truth.timepoint > 0].set_index("case_id")
    got = got.set_index("case_id").loc[follow.index]
    out = {}
    for column in ("rano", "rano2"):
        hits = int((got[column] == follow[column]).sum())
        out[column] = f"{hits}/{len(follow)} ({100 * hits / len(follow):.0f} %)"
    return out


def measurement_seconds() -> tuple[float, int] | None:
    """Median seconds to read and measure one 1 mm expert segmentation (real-val), and the count."""
    if not REAL_VAL.is_dir():
        return None
    from smart_brains.data.labels import REGION_LABELS
    from smart_brains.longitudinal.lesions import measure_lesions
    from smart_brains.longitudinal.series import read_labels, read_series

    scans = [s for series in read_series(REAL_VAL).values() for s in series]
    times = []
    for scan in scans:
        started = time.perf_counter()
        labels, _, affine = read_labels(scan)
        measure_lesions(np.isin(labels, REGION_LABELS["ET"]), affine)
        times.append(time.perf_counter() - started)
    return float(np.median(times)), len(scans)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10)
    parser.add_argument("--timepoints", type=int, default=3)
    parser.add_argument("--model", default="glioma-2mm")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--work", default="/tmp/smart-brains-longitudinal")
    args = parser.parse_args()
    work = Path(args.work)
    data = work / "series"
    if not (data / "response.csv").is_file():
        cli("synth", "--timepoints", str(args.timepoints), "--n", str(args.patients), "--seed",
            str(args.seed), "--spacing", "2", "--out", str(data), "--workers", "2")  # fmt: skip
    truth = pd.read_csv(data / "response.csv")
    cli("predict", str(data), "--model", args.model, "--out", str(work / "pred"), "--overwrite")
    rows = {}
    for name, segs in (
        ("reference segmentations", data),
        (f"predicted ({args.model})", work / "pred"),
    ):
        out = work / name.split()[0]
        cli("longitudinal", str(segs), "--out", str(out), "--no-report")
        rows[name] = (agreement(truth, pd.read_csv(out / "response.csv")),
                      pd.read_csv(out / "measurements.csv").set_index("case_id"))  # fmt: skip
    reference = rows["reference segmentations"][1]
    predicted = rows[f"predicted ({args.model})"][1]
    error = predicted.et_cm3 - reference.et_cm3.loc[predicted.index]
    print(f"## Longitudinal response on generated series: {date.today()}, "
          f"{platform.machine()} (2 CPU cores)\n")  # fmt: skip
    print(f"`python benchmarks/longitudinal.py --patients {args.patients} --timepoints "
          f"{args.timepoints} --model {args.model}` ({args.patients} patients x {args.timepoints} "
          f"scans at 2 mm, seed {args.seed}; scenarios in turn: "
          f"{', '.join(sorted(set(truth.scenario)))}; agreement over the "
          f"{int((truth.timepoint > 0).sum())} follow-up scans):\n")  # fmt: skip
    print("| segmentations | RANO agreement | RANO 2.0 agreement |\n|---|---|---|")
    for name, (agree, _) in rows.items():
        print(f"| {name} | {agree['rano']} | {agree['rano2']} |")
    print(f"\nPredicted ET volume against the reference, per scan: mean absolute error "
          f"{error.abs().mean():.2f} cm^3 (median {error.abs().median():.2f}, max "
          f"{error.abs().max():.2f}; mean signed {error.mean():+.2f}); reference ET "
          f"{reference.et_cm3.mean():.2f} cm^3 on average.")  # fmt: skip
    for name, folder in (("reference", "reference"), ("predicted", "predicted")):
        got = pd.read_csv(work / folder / "response.csv")[["case_id", "rano", "rano2"]]
        both = truth.merge(got, on="case_id", suffixes=("", "_got"))
        wrong = both[(both.rano != both.rano_got) | (both.rano2 != both.rano2_got)]
        if len(wrong):
            print(f"Disagreements from {name} segmentations (truth -> measured, RANO / RANO 2.0): "
                  + ", ".join(f"{r.case_id} {r.scenario} {r.rano}->{r.rano_got} / "
                              f"{r.rano2}->{r.rano2_got}" for r in wrong.itertuples()) + ".")  # fmt: skip
    timing = measurement_seconds()
    if timing:
        print(f"Reading and measuring one 1 mm 240x240x155 segmentation (the {timing[1]} real "
              f"validation cases' expert labels): median {timing[0]:.2f} s.")  # fmt: skip


if __name__ == "__main__":
    main()
