"""``smart-brains longitudinal SEGS --out DIR``: volumes, RANO measurements and the response of
every patient between time points.

Writes ``DIR/measurements.csv`` (one row per time point: ``patient_id, timepoint, case_id,
date, days, et_cm3, tc_cm3, wt_cm3, rc_cm3`` (the resection cavity of BraTS 2024 labels),
``lesions, measurable_lesions, target_lesions, sum_of_products_mm2``), ``DIR/lesions.csv`` (one
row per enhancing lesion and time point: ``lesion_id`` (the same over time), both diameters,
their product, ``measurable``, ``target``, the slice and both lines' ends in voxel and world
coordinates), ``DIR/response.csv`` (``rano``, ``rano2``: baseline, CR, PR, SD or PD; the ET
growth rate and doubling time when dates are given) and ``DIR/report/`` (a page per patient).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from smart_brains.longitudinal.tracking import MAX_TARGETS


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "segs", help="folder of segmentations: predictions (<case_id>.nii.gz) or a dataset's "
        "<case>/<case>_seg.nii.gz",
    )  # fmt: skip
    p.add_argument("--out", required=True, help="output folder")
    p.add_argument(
        "--timepoints", help="CSV case_id,patient_id,date (YYYY-MM-DD) or timepoint; default: "
        "patients and order from BraTS 2023+ ids (BraTS-GLI-00123-001)",
    )  # fmt: skip
    p.add_argument("--data", help="the dataset's images: the report draws lines on its T1ce")
    p.add_argument(
        "--max-targets", type=int, default=MAX_TARGETS,
        help=f"target lesions summed (the largest measurable at baseline; default {MAX_TARGETS}, "
        "RANO 2.0)",
    )  # fmt: skip
    p.add_argument("--no-report", action="store_true", help="only the CSV files")
    when = p.add_mutually_exclusive_group()
    when.add_argument(
        "--forecast-date", metavar="YYYY-MM-DD",
        help="forecast every patient's ET, TC and WT volumes at this date (forecast.csv, dashed "
        "on the course plot); needs scan dates (--timepoints with a date column)",
    )  # fmt: skip
    when.add_argument(
        "--forecast-days", type=float, metavar="N",
        help="forecast N days after each patient's last scan",
    )  # fmt: skip


def _date(text: str):
    from datetime import date

    from smart_brains.errors import DataError

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise DataError(f"--forecast-date {text}: not a date; write it YYYY-MM-DD") from None


def run(args: argparse.Namespace) -> int:
    from smart_brains.workflows.longitudinal import ForecastAt, run_longitudinal

    out = Path(args.out)
    forecast = None
    if args.forecast_date is not None or args.forecast_days is not None:
        when = _date(args.forecast_date) if args.forecast_date is not None else None
        forecast = ForecastAt(when, args.forecast_days)
    frames = run_longitudinal(
        Path(args.segs), out, Path(args.timepoints) if args.timepoints else None,
        Path(args.data) if args.data else None, args.max_targets, report=not args.no_report,
        forecast=forecast,
    )  # fmt: skip
    response = frames["response"]
    print(response[["patient_id", "timepoint", "case_id", "rano", "rano2"]].to_string(index=False))
    if "forecast" in frames:
        shown = frames["forecast"].reindex(
            columns=[
                "patient_id",
                "region",
                "model",
                "day",
                "volume_cm3",
                "low_cm3",
                "high_cm3",
                "note",
            ]
        )
        print("forecast (an extrapolation of the measured trend, not a prognosis):")
        print(shown.to_string(index=False))
    print(f"{response.patient_id.nunique()} patient(s), {len(response)} scan(s): {out}")
    return 0
