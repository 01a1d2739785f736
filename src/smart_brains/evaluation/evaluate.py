"""Score a folder of predictions against a dataset's reference segmentations.

Predictions are ``PRED/<case_id>.nii.gz`` (or ``.nii``) in the dataset's own label convention,
on the reference's grid. Per case and BraTS region (WT, TC, ET): Dice, HD95 (mm), sensitivity,
specificity, lesion-wise Dice and HD95 (BraTS 2023+), volumes; per case and label: the 4x4
voxel confusion matrix, from which the voxel classification metrics follow.

    result = evaluate("predictions/", "data/")   # an Evaluation
    result.scores                                # DataFrame, one row per case and region
    result.summary()                             # mean, std, median, quartiles per region
    result.write("predictions/evaluation")       # CSVs, JSON and the confusion-matrix PNG
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd

from smart_brains.data.discovery import Case, ImageRef, discover
from smart_brains.data.labels import LABEL_NAMES, REGIONS, labels_to_regions, to_internal
from smart_brains.data.loading import AFFINE_TOLERANCE, VolumeReader
from smart_brains.errors import DataError
from smart_brains.evaluation.lesions import lesion_wise
from smart_brains.evaluation.metrics import dice, hd95, sensitivity_specificity
from smart_brains.evaluation.voxel_classification import class_metrics, confusion_matrix
from smart_brains.paths import atomic_path, write_csv, write_text

COLUMNS = [
    "case_id", "region", "dice", "hd95_mm", "sensitivity", "specificity",
    "lesion_dice", "lesion_hd95_mm", "lesions_tp", "lesions_fn", "lesions_fp",
    "ref_cm3", "pred_cm3",
]  # fmt: skip
SUMMARY_METRICS = ["dice", "hd95_mm", "sensitivity", "specificity", "lesion_dice", "lesion_hd95_mm"]


def tumour_crop(pred: np.ndarray, ref: np.ndarray, margin: int = 4) -> tuple[slice, ...]:
    """The box around every labelled voxel of ``pred`` or ``ref``, grown by ``margin`` voxels
    (more than the lesion-wise dilation), clipped to the volume. Every score is the same on
    the box as on the volume (outside it both maps are background); scoring there is fast."""
    idx = np.argwhere((pred > 0) | (ref > 0))
    if len(idx) == 0:
        return tuple(slice(0, 1) for _ in pred.shape)
    lo = np.maximum(idx.min(0) - margin, 0)
    hi = np.minimum(idx.max(0) + margin + 1, pred.shape)
    return tuple(slice(a, b) for a, b in zip(lo, hi))


def score_labels(
    pred: np.ndarray,
    ref: np.ndarray,
    spacing_mm: tuple[float, float, float],
    box: tuple[slice, ...] | None = None,
) -> list[dict[str, float]]:
    """Per-region scores of internal label maps ``pred`` and ``ref`` (X, Y, Z), computed on
    ``box`` (default: ``tumour_crop``)."""
    box = tumour_crop(pred, ref) if box is None else box
    pred_r, ref_r = labels_to_regions(pred[box]), labels_to_regions(ref[box])
    outside = pred.size - pred[box].size  # background in both: true negatives
    cm3 = float(np.prod(spacing_mm)) / 1000.0
    rows = []
    for i, region in enumerate(REGIONS):
        sens, spec = sensitivity_specificity(pred_r[i], ref_r[i], outside)
        lesions = lesion_wise(pred_r[i], ref_r[i], spacing_mm)
        rows.append(
            {
                "region": region,
                "dice": dice(pred_r[i], ref_r[i]),
                "hd95_mm": hd95(pred_r[i], ref_r[i], spacing_mm),
                "sensitivity": sens,
                "specificity": spec,
                "lesion_dice": lesions.dice,
                "lesion_hd95_mm": lesions.hd95_mm,
                "lesions_tp": lesions.tp,
                "lesions_fn": lesions.fn,
                "lesions_fp": lesions.fp,
                "ref_cm3": int(ref_r[i].sum()) * cm3,
                "pred_cm3": int(pred_r[i].sum()) * cm3,
            }
        )
    return rows


@dataclass(frozen=True)
class Evaluation:
    """Scores of a set of cases.

    Attributes:
        scores: one row per case and region, columns ``COLUMNS``.
        confusion: case id -> (4, 4) voxel counts, rows reference, columns prediction.
    """

    scores: pd.DataFrame
    confusion: dict[str, np.ndarray]

    def summary(self) -> pd.DataFrame:
        """Per region (rows WT, TC, ET): cases, and mean, std, median, 25th and 75th
        percentiles of each metric, like the BraTS leaderboard."""
        grouped = self.scores.groupby("region")[SUMMARY_METRICS]
        table = grouped.agg(["mean", "std", "median", q25, q75])
        table.columns = [f"{metric}_{stat}" for metric, stat in table.columns]
        table.insert(0, "cases", self.scores.groupby("region")["case_id"].nunique())
        return table.reindex(list(REGIONS))

    def total_confusion(self) -> np.ndarray:
        """(4, 4) voxel counts summed over cases."""
        return sum(self.confusion.values(), np.zeros((4, 4), np.int64))

    def classification(self) -> pd.DataFrame:
        """Voxel classification metrics per label over all cases (``class_metrics``)."""
        return class_metrics(self.total_confusion())

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """Write scores.csv, summary.csv, classification.csv, confusion.csv, confusion.png and
        metrics.json (everything, for machines) into ``out_dir``; returns the paths."""
        from smart_brains.reports.figures import plot_confusion

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        names = [LABEL_NAMES[k] for k in range(4)]
        paths = {
            "scores": out / "scores.csv",
            "summary": out / "summary.csv",
            "classification": out / "classification.csv",
            "confusion": out / "confusion.csv",
            "confusion_png": out / "confusion.png",
            "json": out / "metrics.json",
        }
        write_csv(self.scores, paths["scores"], index=False)
        write_csv(self.summary(), paths["summary"])
        write_csv(self.classification(), paths["classification"])
        confusion = pd.DataFrame(self.total_confusion(), index=names, columns=names)
        write_csv(confusion.rename_axis("reference \\ prediction"), paths["confusion"])
        with atomic_path(paths["confusion_png"]) as tmp:
            plot_confusion(self.total_confusion(), names, tmp)
        document = {
            "summary": _records(self.summary().reset_index(names="region")),
            "classification": _records(self.classification().reset_index()),
            "confusion": {"labels": names, "counts": self.total_confusion().tolist()},
            "cases": _records(self.scores),
        }
        write_text(paths["json"], json.dumps(document, indent=1, allow_nan=False))
        return paths


def q25(values: pd.Series) -> float:
    return float(values.quantile(0.25))


def q75(values: pd.Series) -> float:
    return float(values.quantile(0.75))


def _records(df: pd.DataFrame) -> list[dict]:
    """Rows as dicts, NaN as None (pandas' JSON writer does that), so that the JSON is strict."""
    return json.loads(df.to_json(orient="records"))


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


def read_label_map(path: Path, case: Case, what: str) -> tuple[np.ndarray, nib.Nifti1Image]:
    reader = VolumeReader(case)
    got = reader.volume(ImageRef(path), what)
    if got is None:
        raise DataError(str(reader.problems[0]))
    data, img = got
    try:
        return to_internal(data, case.convention), img
    except DataError as exc:
        raise DataError(f"case {case.case_id}: {path}: {exc}") from None


def read_pair(case: Case, pred_path: Path) -> tuple[np.ndarray, np.ndarray, tuple[float, ...]]:
    """(prediction, reference) internal labels of one case and the voxel spacing (mm), after
    checking that the prediction lies on the reference's grid."""
    if case.seg is None:
        raise DataError(f"case {case.case_id}: no reference segmentation to evaluate against")
    ref, ref_img = read_label_map(case.seg, case, "reference")
    pred, pred_img = read_label_map(pred_path, case, "prediction")
    if pred.shape != ref.shape:
        raise DataError(
            f"case {case.case_id}: {pred_path}: shape {pred.shape} differs from the reference {ref.shape}"
        )
    if not np.allclose(pred_img.affine, ref_img.affine, atol=AFFINE_TOLERANCE):
        raise DataError(
            f"case {case.case_id}: {pred_path}: affine differs from the reference; resampled?"
        )
    return pred, ref, tuple(float(z) for z in ref_img.header.get_zooms()[:3])


def evaluate(
    pred_dir: str | Path,
    data: str | Path,
    layout: str | None = None,
    case_ids: list[str] | None = None,
) -> Evaluation:
    """Scores of every labelled case of ``data`` (or ``case_ids``) against ``pred_dir``."""
    pred_dir = Path(pred_dir)
    if not pred_dir.is_dir():
        raise DataError(f"{pred_dir}: prediction folder does not exist")
    cases = [c for c in discover(data, layout) if c.seg is not None]
    if case_ids is not None:
        cases = [c for c in cases if c.case_id in set(case_ids)]
    if not cases:
        raise DataError(f"{data}: no cases with a reference segmentation (*_seg) to evaluate")
    rows, matrices = [], {}
    for case in cases:
        pred, ref, spacing = read_pair(case, prediction_path(pred_dir, case.case_id))
        box = tumour_crop(pred, ref)
        rows.extend(
            {"case_id": case.case_id, **row} for row in score_labels(pred, ref, spacing, box)
        )
        matrices[case.case_id] = confusion_matrix(pred[box], ref[box])
        matrices[case.case_id][0, 0] += pred.size - pred[box].size
    return Evaluation(pd.DataFrame(rows, columns=COLUMNS), matrices)
