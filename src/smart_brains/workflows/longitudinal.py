"""``smart-brains longitudinal``: follow every patient of a folder of segmentations over time and
write ``measurements.csv``, ``lesions.csv``, ``response.csv`` and a report page per patient."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd

from smart_brains.data.discovery import Case
from smart_brains.data.loading import load_case
from smart_brains.data.segmentations import read_label_map
from smart_brains.errors import DataError
from smart_brains.longitudinal.follow import Drawn, follow_patient
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
    cases = _cases(data)
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
                                tables_of["response"], _slices(scans, result.drawn, cases),
                                out / "report", _viewer(patient, scans, cases))  # fmt: skip
            pages.append(f'<li><a href="{path.name}">{patient}</a></li>')
        index = page("Patients over time", [
            ("Patients", f"<ul>{''.join(pages)}</ul>"),
            ("Response", table(frames["response"].set_index("case_id"))),
        ])  # fmt: skip
        write_text(out / "report" / "index.html", index)
    return frames
