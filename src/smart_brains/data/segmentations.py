"""Segmentation files of a case: a prediction found in a folder, a label map read in internal
labels (or, for BraTS 2024 scoring, with the resection cavity kept), and a prediction paired
with its reference after checking that both lie on the same grid."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np

from smart_brains.data.discovery import Case, ImageRef
from smart_brains.data.labels import RC, check_recorded, to_internal
from smart_brains.data.loading import AFFINE_TOLERANCE, VolumeReader
from smart_brains.errors import DataError


def prediction_path(pred_dir: Path, case_id: str) -> Path:
    """``pred_dir/<case_id>.nii.gz`` or ``.nii``; a DataError naming the file when missing."""
    for suffix in (".nii.gz", ".nii"):
        path = pred_dir / f"{case_id}{suffix}"
        if path.is_file():
            return path
    raise DataError(
        f"case {case_id}: no prediction {pred_dir / (case_id + '.nii.gz')}; "
        "run `smart-brains predict` for it, or evaluate the cases you predicted with --cases"
    )


def read_label_map(
    path: Path, case: Case, what: str, cavity: bool = False, strict_cavity: bool = False
) -> tuple[np.ndarray, nib.Nifti1Image]:
    """Labels of ``path``: converted from the case's convention to internal ones, or with
    ``cavity`` (the brats2024-gli scoring) BraTS 2023+ values as they are (4 = resection
    cavity, ``RC``). A file whose header records another convention is refused;
    ``strict_cavity`` also refuses a BraTS 2023+ label 4 (a resection cavity, which only the
    2024 scoring knows: under a 2023 id it is more likely BraTS 2021's enhancing tumour)."""
    reader = VolumeReader(case)
    got = reader.volume(ImageRef(path), what)
    if got is None:
        raise DataError(str(reader.problems[0]))
    data, img = got
    check_recorded(img.header, case.convention, path, case.case_id)
    if strict_cavity and case.convention == "brats2023" and np.any(data == RC):
        raise DataError(
            f"case {case.case_id}: {path}: label 4 under a BraTS 2023+ id is a resection cavity, "
            "which only brats2024-gli scores; BraTS 2021 labels (4 = enhancing) need BraTS 2021 "
            "names, or score with --challenge brats2024-gli"
        )
    if cavity:
        if case.convention != "brats2023":
            raise DataError(
                f"case {case.case_id}: brats2024-gli scores BraTS 2023+ label files "
                f"(3 enhancing, 4 resection cavity); this dataset uses {case.convention} labels"
            )
        values = np.unique(data)
        if not set(values.tolist()) <= {0, 1, 2, 3, RC}:
            raise DataError(
                f"case {case.case_id}: {path}: label values {values.tolist()} are not all in "
                "0-4 (BraTS 2024: 1 NETC, 2 SNFH, 3 ET, 4 RC)"
            )
        return np.asarray(data, np.uint8), img
    try:
        return to_internal(data, case.convention), img
    except DataError as exc:
        raise DataError(f"case {case.case_id}: {path}: {exc}") from None


def read_pair(
    case: Case, pred_path: Path, cavity: bool = False
) -> tuple[np.ndarray, np.ndarray, tuple[float, ...]]:
    """(prediction, reference) labels of one case (``read_label_map``) and the voxel spacing
    (mm), after checking that the prediction lies on the reference's grid."""
    if case.seg is None:
        raise DataError(f"case {case.case_id}: no reference segmentation to evaluate against")
    ref, ref_img = read_label_map(case.seg, case, "reference", cavity, strict_cavity=not cavity)
    pred, pred_img = read_label_map(pred_path, case, "prediction", cavity, strict_cavity=not cavity)
    if pred.shape != ref.shape:
        raise DataError(
            f"case {case.case_id}: {pred_path}: shape {pred.shape} differs from the reference {ref.shape}"
        )
    if not np.allclose(pred_img.affine, ref_img.affine, atol=AFFINE_TOLERANCE):
        raise DataError(
            f"case {case.case_id}: {pred_path}: affine differs from the reference; resampled?"
        )
    return pred, ref, tuple(float(z) for z in ref_img.header.get_zooms()[:3])
