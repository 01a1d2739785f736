"""Score a folder of predictions against a dataset's reference segmentations.

Predictions are ``PRED/<case_id>.nii.gz`` (or ``.nii``) in the dataset's own label convention,
on the reference's grid. Scores are per case and BraTS region (WT, TC, ET): Dice and HD95 (mm).
"""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd

from smart_brains.data.discovery import Case, ImageRef, discover
from smart_brains.data.labels import REGIONS, labels_to_regions, to_internal
from smart_brains.data.loading import AFFINE_TOLERANCE, VolumeReader
from smart_brains.errors import DataError
from smart_brains.evaluation.metrics import dice, hd95

COLUMNS = ["case_id", "region", "dice", "hd95_mm", "ref_voxels", "pred_voxels"]


def score_labels(
    pred: np.ndarray, ref: np.ndarray, spacing_mm: tuple[float, float, float]
) -> list[dict[str, float]]:
    """Per-region scores of internal label maps ``pred`` and ``ref`` (X, Y, Z)."""
    pred_r, ref_r = labels_to_regions(pred), labels_to_regions(ref)
    rows = []
    for i, region in enumerate(REGIONS):
        rows.append(
            {
                "region": region,
                "dice": dice(pred_r[i], ref_r[i]),
                "hd95_mm": hd95(pred_r[i], ref_r[i], spacing_mm),
                "ref_voxels": int(ref_r[i].sum()),
                "pred_voxels": int(pred_r[i].sum()),
            }
        )
    return rows


def _prediction_path(pred_dir: Path, case_id: str) -> Path:
    for suffix in (".nii.gz", ".nii"):
        path = pred_dir / f"{case_id}{suffix}"
        if path.is_file():
            return path
    raise DataError(
        f"case {case_id}: no prediction {pred_dir / (case_id + '.nii.gz')}; "
        "run `smart-brains predict` for it, or evaluate the cases you predicted with --cases"
    )


def _read_labels(path: Path, case: Case, what: str) -> tuple[np.ndarray, nib.Nifti1Image]:
    reader = VolumeReader(case)
    got = reader.volume(ImageRef(path), what)
    if got is None:
        raise DataError(str(reader.problems[0]))
    data, img = got
    try:
        return to_internal(data, case.convention), img
    except DataError as exc:
        raise DataError(f"case {case.case_id}: {path}: {exc}") from None


def evaluate_case(case: Case, pred_path: Path) -> list[dict[str, object]]:
    """Score one prediction file against ``case.seg``."""
    if case.seg is None:
        raise DataError(f"case {case.case_id}: no reference segmentation to evaluate against")
    ref, ref_img = _read_labels(case.seg, case, "reference")
    pred, pred_img = _read_labels(pred_path, case, "prediction")
    if pred.shape != ref.shape:
        raise DataError(
            f"case {case.case_id}: {pred_path}: shape {pred.shape} differs from the reference {ref.shape}"
        )
    if not np.allclose(pred_img.affine, ref_img.affine, atol=AFFINE_TOLERANCE):
        raise DataError(
            f"case {case.case_id}: {pred_path}: affine differs from the reference; resampled?"
        )
    spacing = tuple(float(z) for z in ref_img.header.get_zooms()[:3])
    return [{"case_id": case.case_id, **row} for row in score_labels(pred, ref, spacing)]  # type: ignore[arg-type]


def evaluate(
    pred_dir: str | Path,
    data: str | Path,
    layout: str | None = None,
    case_ids: list[str] | None = None,
) -> pd.DataFrame:
    """Scores of every labelled case of ``data`` (or ``case_ids``): one row per case and region."""
    pred_dir = Path(pred_dir)
    if not pred_dir.is_dir():
        raise DataError(f"{pred_dir}: prediction folder does not exist")
    cases = [c for c in discover(data, layout) if c.seg is not None]
    if case_ids is not None:
        cases = [c for c in cases if c.case_id in set(case_ids)]
    if not cases:
        raise DataError(f"{data}: no cases with a reference segmentation (*_seg) to evaluate")
    rows = []
    for case in cases:
        rows.extend(evaluate_case(case, _prediction_path(pred_dir, case.case_id)))
    return pd.DataFrame(rows, columns=COLUMNS)


def summarise(scores: pd.DataFrame) -> pd.DataFrame:
    """Mean, standard deviation and median of Dice and HD95 per region (rows WT, TC, ET)."""
    grouped = scores.groupby("region")[["dice", "hd95_mm"]]
    table = grouped.agg(["mean", "std", "median"])
    table.columns = [f"{metric}_{stat}" for metric, stat in table.columns]
    table.insert(0, "cases", scores.groupby("region")["case_id"].nunique())
    return table.reindex(list(REGIONS))
