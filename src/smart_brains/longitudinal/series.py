"""Which segmentation is which patient's which time point, and its labels read once.

A folder of segmentations holds predictions (``<case_id>.nii.gz``, as `predict` writes them) or
a dataset's reference files (``<case_id>/<case_id>_seg.nii.gz`` or ``-seg``). Patients and order
come from BraTS 2023+ ids (``BraTS-GLI-00123-001``: patient ``BraTS-GLI-00123``, time point 1)
or from a time-point CSV: ``case_id,patient_id`` and ``date`` (ISO, ``2021-03-04``) or
``timepoint`` (an integer). Labels are read in the convention the id points to: BraTS 2023+ ids
1 NETC, 2 SNFH, 3 ET and, in 2024 post-treatment data, 4 the resection cavity; any other id
BraTS 2021's 1, 2, 4.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd

from smart_brains.data.labels import RC, check_recorded, invalid_values, to_internal
from smart_brains.data.layouts import patient_id, strip_nifti_suffix
from smart_brains.errors import DataError

_TIMEPOINT = re.compile(r"^BraTS-[A-Z]+-\d+-(\d+)$")


@dataclass(frozen=True)
class Scan:
    """One time point of one patient.

    Attributes:
        case_id, patient_id: ids; timepoint: its order number within the patient.
        path: the segmentation file.
        day: the scan's date (None when not given).
    """

    case_id: str
    patient_id: str
    timepoint: int
    path: Path
    day: date | None = None


def convention_of(case_id: str) -> str:
    """``brats2023`` for BraTS 2023+ ids (``BraTS-...``), ``brats2021`` otherwise."""
    return "brats2023" if case_id.startswith("BraTS-") else "brats2021"


def find_segmentations(folder: Path) -> dict[str, Path]:
    """case id -> segmentation file in ``folder``: top-level NIfTI files (predictions, or
    ``*_seg``/``-seg`` files) and ``*_seg``/``-seg`` files one folder down."""
    if not folder.is_dir():
        raise DataError(f"{folder}: not a folder of segmentations")
    found: dict[str, Path] = {}
    for path in sorted(folder.glob("*")) + sorted(folder.glob("*/*")):
        stem = strip_nifti_suffix(path.name)
        if stem is None or not path.is_file():
            continue
        is_seg = stem.endswith(("_seg", "-seg"))
        if path.parent != folder and not is_seg:
            continue  # an image of a case folder
        case_id = stem[:-4] if is_seg else stem
        if case_id in found:
            raise DataError(f"{path}: case {case_id} has two segmentations (also {found[case_id]})")
        found[case_id] = path
    if not found:
        raise DataError(
            f"{folder}: no segmentation files (<case_id>.nii.gz, or <case>/<case>_seg.nii.gz)"
        )
    return found


def _from_csv(csv: Path, files: dict[str, Path]) -> list[Scan]:
    try:
        table = pd.read_csv(csv, dtype=str, keep_default_na=False)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise DataError(f"{csv}: not a readable CSV ({type(exc).__name__})") from None
    needed = {"case_id", "patient_id"}
    if not needed <= set(table.columns) or not {"date", "timepoint"} & set(table.columns):
        raise DataError(
            f"{csv}: needs columns case_id, patient_id and date or timepoint "
            f"(has {', '.join(table.columns)})"
        )
    missing = sorted(set(table.case_id) - set(files))
    if missing:
        raise DataError(
            f"{csv}: no segmentation for {len(missing)} case(s): {', '.join(missing[:3])}"
        )
    scans = []
    for line, row in enumerate(table.itertuples(index=False), start=2):
        try:
            day = date.fromisoformat(row.date) if "date" in table.columns and row.date else None
            order = int(row.timepoint) if "timepoint" in table.columns and row.timepoint else None
        except ValueError:
            raise DataError(
                f"{csv}: line {line}: date must be YYYY-MM-DD, timepoint an integer"
            ) from None
        if day is None and order is None:
            raise DataError(f"{csv}: line {line}: no date or timepoint for {row.case_id}")
        key = order if order is not None else day.toordinal()
        scans.append(Scan(row.case_id, row.patient_id, key, files[row.case_id], day))
    return scans


def read_series(folder: Path, timepoints_csv: Path | None = None) -> dict[str, list[Scan]]:
    """patient id -> its scans in time order (``timepoint`` renumbered 0, 1, ...)."""
    files = find_segmentations(folder)
    if timepoints_csv is not None:
        scans = _from_csv(timepoints_csv, files)
        left_out = sorted(set(files) - {s.case_id for s in scans})
        if left_out:
            import warnings

            shown = ", ".join(left_out[:5]) + (
                f" and {len(left_out) - 5} more" if len(left_out) > 5 else ""
            )
            warnings.warn(f"{timepoints_csv} does not list {len(left_out)} segmentation(s) of "
                          f"{folder}, left out: {shown}", stacklevel=2)  # fmt: skip
    else:
        scans = []
        for case_id, path in files.items():
            match = _TIMEPOINT.match(case_id)
            scans.append(
                Scan(case_id, patient_id(case_id), int(match.group(1)) if match else 0, path)
            )
    patients: dict[str, list[Scan]] = {}
    for scan in sorted(scans, key=lambda s: (s.patient_id, s.timepoint, s.case_id)):
        patients.setdefault(scan.patient_id, []).append(scan)
    for pid, series in patients.items():
        orders = [s.timepoint for s in series]
        if len(set(orders)) < len(orders):
            raise DataError(
                f"patient {pid}: two scans share a time point or date; say which comes first"
            )
        patients[pid] = [
            Scan(s.case_id, s.patient_id, t, s.path, s.day) for t, s in enumerate(series)
        ]
    return patients


def read_labels(scan: Scan) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(internal labels (X, Y, Z) uint8, resection cavity bool, 4x4 affine) of one scan."""
    try:
        img = nib.load(str(scan.path))
        data = np.asarray(img.dataobj)
    except Exception as exc:  # noqa: BLE001 - any failure to read means a damaged file
        raise DataError(f"{scan.path}: not a readable NIfTI file ({type(exc).__name__})") from None
    if data.ndim != 3:
        raise DataError(f"{scan.path}: a segmentation must be 3D, this is {data.shape}")
    values = np.rint(data).astype(np.int16)
    convention = convention_of(scan.case_id)
    check_recorded(img.header, convention, scan.path, scan.case_id)
    bad = invalid_values(values, convention)
    if bad:
        raise DataError(
            f"{scan.path}: label values {bad} are not {convention} labels (the id "
            f"{scan.case_id} says {convention}); rename the file or convert its labels"
        )
    cavity = values == RC if convention == "brats2023" else np.zeros(values.shape, bool)
    return to_internal(values, convention), cavity, img.affine
