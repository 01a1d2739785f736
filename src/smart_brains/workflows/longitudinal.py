"""``smart-brains longitudinal``: follow every patient of a folder of segmentations over time and
write ``measurements.csv``, ``lesions.csv``, ``response.csv`` and a report page per patient."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd

from smart_brains.errors import DataError
from smart_brains.longitudinal.follow import follow_patient
from smart_brains.longitudinal.series import Scan, read_labels, read_series
from smart_brains.paths import write_csv, write_text
from smart_brains.reports.html import page, table
from smart_brains.reports.longitudinal import patient_page


def _backgrounds(data: Path | None) -> dict[str, Path]:
    """case id -> its T1ce image (the slice drawn under the lines), from ``--data``."""
    if data is None:
        return {}
    from smart_brains.data.discovery import discover

    return {case.case_id: case.image("t1ce").path for case in discover(data)}


def _slices(scans: list[Scan], measured, images: dict[str, Path]) -> list:
    out = []
    for scan, lesions in zip(scans, measured):
        labels, _, _ = read_labels(scan)
        path = images.get(scan.case_id)
        background = (
            np.asarray(nib.load(str(path)).dataobj, np.float32)
            if path
            else labels.astype(np.float32)
        )
        if background.shape != labels.shape:
            raise DataError(
                f"{path}: shape {background.shape} differs from its segmentation {labels.shape}"
            )
        out.append((scan.case_id, background, labels, lesions))
    return out


def run_longitudinal(
    segs: Path,
    out: Path,
    timepoints: Path | None,
    data: Path | None,
    max_targets: int,
    report: bool = True,
) -> dict[str, pd.DataFrame]:
    """Measure, track and classify the response of every patient; returns the three tables."""
    if max_targets < 1:
        raise DataError(f"--max-targets {max_targets}: need at least one target lesion")
    patients = read_series(segs, timepoints)
    images = _backgrounds(data)
    tables: dict[str, list] = {"measurements": [], "lesions": [], "response": []}
    followed = {}
    for patient, scans in patients.items():
        result = follow_patient(scans, max_targets)
        followed[patient] = (scans, result)
        tables["measurements"] += result.measurements
        tables["lesions"] += result.lesions
        tables["response"] += result.response
    frames = {name: pd.DataFrame(rows) for name, rows in tables.items()}
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in frames.items():
        write_csv(frame, out / f"{name}.csv", index=False)
    if report:
        pages = []
        for patient, (scans, result) in followed.items():
            tables_of = {k: v[v.patient_id == patient] for k, v in frames.items()}
            path = patient_page(patient, tables_of["measurements"], tables_of["lesions"],
                                tables_of["response"], _slices(scans, result.drawn, images),
                                out / "report")  # fmt: skip
            pages.append(f'<li><a href="{path.name}">{patient}</a></li>')
        index = page("Patients over time", [
            ("Patients", f"<ul>{''.join(pages)}</ul>"),
            ("Response", table(frames["response"].set_index("case_id"))),
        ])  # fmt: skip
        write_text(out / "report" / "index.html", index)
    return frames
