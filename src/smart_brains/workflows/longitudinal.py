"""``smart-brains longitudinal``: follow every patient of a folder of segmentations over time and
write ``measurements.csv``, ``lesions.csv``, ``response.csv`` and a report page per patient."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd

from smart_brains.errors import DataError
from smart_brains.longitudinal.follow import Drawn, follow_patient
from smart_brains.longitudinal.series import Scan, read_series
from smart_brains.paths import write_csv, write_text
from smart_brains.reports.html import page, table
from smart_brains.reports.longitudinal import patient_page


def _backgrounds(data: Path | None) -> dict[str, Path]:
    """case id -> its T1ce image (the slice drawn under the lines), from ``--data``."""
    if data is None:
        return {}
    from smart_brains.data.discovery import discover

    return {case.case_id: case.image("t1ce").path for case in discover(data)}


def _slices(scans: list[Scan], drawn: list[Drawn], images: dict[str, Path]) -> list:
    """Per scan (case id, the background slice, what is drawn): the T1ce's slice read from
    ``--data`` through the file's proxy, or the labels themselves without it."""
    out = []
    for scan, shown in zip(scans, drawn):
        path = images.get(scan.case_id)
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
