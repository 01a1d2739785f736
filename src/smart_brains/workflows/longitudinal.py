"""``smart-brains longitudinal``: follow every patient of a folder of segmentations over time and
write ``measurements.csv``, ``lesions.csv``, ``response.csv`` and a report page per patient."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd

from smart_brains.data.discovery import Case
from smart_brains.data.loading import load_case
from smart_brains.data.segmentations import read_label_map
from smart_brains.errors import DataError
from smart_brains.longitudinal.follow import LESION_COLUMNS, Drawn, follow_patient
from smart_brains.longitudinal.forecast import REGIONS as FORECAST_REGIONS
from smart_brains.longitudinal.forecast import forecast_curve, forecast_patient
from smart_brains.longitudinal.series import Scan, read_series
from smart_brains.paths import write_csv, write_text
from smart_brains.reports.html import page, table
from smart_brains.reports.longitudinal import patient_page
from smart_brains.reports.viewer import ViewerCase, embedded, viewer_html


def _cases(data: Path | None) -> dict[str, Case]:
    """case id -> its case in ``--data`` (images: the T1ce slice under the lines, the viewer)."""
    if data is None:
        return {}
    from smart_brains.data.discovery import discover

    return {case.case_id: case for case in discover(data)}


def _viewer(patient: str, scans: list[Scan], cases: dict[str, Case]) -> str:
    """Every time point that has its images in the interactive viewer, embedded; '' if none."""
    shown = []
    for scan in scans:
        case = cases.get(scan.case_id)
        if case is None:
            continue
        loaded = load_case(case)
        labels, _ = read_label_map(scan.path, case, "segmentation")
        if labels.shape != loaded.image.shape[1:]:
            raise DataError(f"{scan.path}: shape {labels.shape} differs from its images "
                            f"{loaded.image.shape[1:]}")  # fmt: skip
        when = f", {scan.day}" if scan.day else ""
        shown.append(ViewerCase(scan.case_id, dict(zip(loaded.modalities, loaded.image)),
                                loaded.affine, {"segmentation": labels},
                                f"time point {scan.timepoint}{when}"))  # fmt: skip
    if not shown:
        return ""
    return embedded(viewer_html(f"{patient} over time", shown, "one button per time point"))


def _spatial(followed: dict, at: ForecastAt, cases: dict[str, Case], out: Path) -> list[dict]:
    """``spatial.csv`` rows: each patient's fitted growth model and predicted extent."""
    from smart_brains.workflows.spatial_forecast import spatial_forecast

    rows = []
    for patient, (scans, result) in followed.items():
        day = at.day_of(result.measurements)
        if day is None:
            rows.append({"patient_id": patient, "note": "no scan dates"})
            continue
        rows.append(spatial_forecast(patient, scans, result.measurements, cases, day, out))
    return rows


def _extent(patient: str, last: tuple, drawn: Drawn, out: Path) -> tuple | None:
    """The last scan's drawn slice with the spatial forecast's slice, or None without one."""
    path = out / "forecast" / f"{patient}_forecast_wt.nii.gz"
    if not path.is_file():
        return None
    case_id, background, shown = last
    where = tuple(drawn.index if a == drawn.axis else slice(None) for a in range(3))
    predicted = np.asarray(nib.load(str(path)).dataobj[where]) > 0
    return background, shown.labels, predicted, f"{case_id}: forecast whole tumour (dashed)"


def _curves(result, forecast: ForecastAt | None) -> dict | None:
    """Region -> the forecast's line and band from the last scan on (for the course plot)."""
    if forecast is None:
        return None
    day = forecast.day_of(result.measurements)
    if day is None:
        return None
    return {r: forecast_curve(result.measurements, r, day) for r in FORECAST_REGIONS}


def _slices(scans: list[Scan], drawn: list[Drawn], cases: dict[str, Case]) -> list:
    """Per scan (case id, the background slice, what is drawn): the T1ce's slice read from
    ``--data`` through the file's proxy, or the labels themselves without it."""
    out = []
    for scan, shown in zip(scans, drawn):
        case = cases.get(scan.case_id)
        path = case.image("t1ce").path if case is not None else None
        if path is None:
            out.append((scan.case_id, shown.labels.astype(np.float32), shown))
            continue
        img = nib.load(str(path))
        if tuple(img.shape[:3]) != tuple(shown.shape):
            raise DataError(
                f"{path}: shape {img.shape[:3]} differs from its segmentation {shown.shape}"
            )
        where = tuple(shown.index if a == shown.axis else slice(None) for a in range(3))
        out.append((scan.case_id, np.asarray(img.dataobj[where], np.float32), shown))
    return out


@dataclass(frozen=True)
class ForecastAt:
    """When to forecast: a calendar ``date``, or ``days_after`` the patient's last scan."""

    date: date | None = None
    days_after: float | None = None

    def day_of(self, rows: list[dict]) -> float | None:
        """The forecast day (days since the patient's baseline), None without dates."""
        if rows[0]["days"] is None or rows[-1]["days"] is None:
            return None
        if self.date is not None:
            return float((self.date - date.fromisoformat(rows[0]["date"])).days)
        return float(rows[-1]["days"] + self.days_after)


def _forecasts(followed: dict, at: ForecastAt) -> list[dict]:
    """``forecast.csv`` rows of every patient (a note instead of numbers where none is made)."""
    rows = []
    for patient, (_, result) in followed.items():
        day = at.day_of(result.measurements)
        if day is None:
            rows += [{"patient_id": patient, "region": r.upper(), "scans": len(result.measurements),
                      "note": "no scan dates: give --timepoints with a date column"}
                     for r in FORECAST_REGIONS]  # fmt: skip
        else:
            rows += forecast_patient(result.measurements, day)
    return rows


def run_longitudinal(
    segs: Path,
    out: Path,
    timepoints: Path | None,
    data: Path | None,
    max_targets: int,
    report: bool = True,
    forecast: ForecastAt | None = None,
) -> dict[str, pd.DataFrame]:
    """Measure, track and classify the response of every patient, and with ``forecast`` project
    its volumes; returns the tables (``forecast`` among them when asked)."""
    if max_targets < 1:
        raise DataError(f"--max-targets {max_targets}: need at least one target lesion")
    if forecast is not None and forecast.days_after is not None and forecast.days_after <= 0:
        raise DataError(f"--forecast-days {forecast.days_after:g}: give a number of days after "
                        "the last scan, above 0")  # fmt: skip
    patients = read_series(segs, timepoints)
    staging = out.parent / f".{out.name}.partial"  # all or nothing: moved into ``out`` at the end
    shutil.rmtree(staging, ignore_errors=True)
    try:
        frames = _follow_all(patients, _cases(data), max_targets, forecast, report, staging)
        out.mkdir(parents=True, exist_ok=True)
        for item in staging.iterdir():
            target = out / item.name
            if target.is_dir():
                shutil.rmtree(target)
            os.replace(item, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return frames


def _follow_all(
    patients, cases, max_targets, forecast, report, out: Path
) -> dict[str, pd.DataFrame]:
    """Every table, forecast and page of ``run_longitudinal``, written into ``out``."""
    tables: dict[str, list] = {"measurements": [], "lesions": [], "response": []}
    followed = {}
    for patient, scans in patients.items():
        result = follow_patient(scans, max_targets)
        followed[patient] = (scans, result)
        tables["measurements"] += result.measurements
        tables["lesions"] += result.lesions
        tables["response"] += result.response
    if forecast is not None:
        tables["forecast"] = _forecasts(followed, forecast)
        tables["spatial"] = _spatial(followed, forecast, cases, out / "forecast")
        if all(r.get("model") is None for r in tables["forecast"]):
            raise DataError("no scan has a date, so nothing can be forecast: give --timepoints, "
                            "a CSV case_id,patient_id,date (YYYY-MM-DD)")  # fmt: skip
    frames = {
        name: pd.DataFrame(rows, columns=LESION_COLUMNS if name == "lesions" and not rows else None)
        for name, rows in tables.items()
    }
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        write_csv(frame, out / f"{name}.csv", index=False)
    if report:
        pages = []
        for patient, (scans, result) in followed.items():
            tables_of = {k: v[v.patient_id == patient] for k, v in frames.items()}
            slices = _slices(scans, result.drawn, cases)
            path = patient_page(patient, tables_of["measurements"], tables_of["lesions"],
                                tables_of["response"], slices, out / "report",
                                _viewer(patient, scans, cases), tables_of.get("forecast"),
                                _curves(result, forecast),
                                _extent(patient, slices[-1], result.drawn[-1], out))  # fmt: skip
            pages.append(f'<li><a href="{path.name}">{patient}</a></li>')
        index = page("Patients over time", [
            ("Patients", f"<ul>{''.join(pages)}</ul>"),
            ("Response", table(frames["response"].set_index("case_id"))),
        ])  # fmt: skip
        write_text(out / "report" / "index.html", index)
    return frames
