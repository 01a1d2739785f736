"""Score a folder of predictions against a dataset's reference segmentations.

Predictions are ``PRED/<case_id>.nii.gz`` (or ``.nii``) in the dataset's own label convention,
on the reference's grid. Per case and region of the challenge (``challenges.py``: brats2021,
brats2023-gli, ..., brats2024-gli; by default the one the dataset's names point to): Dice, HD95
(mm), sensitivity, specificity, lesion-wise Dice and HD95, lesion counts, volumes, all by that
challenge's rules; per case and label: the 4x4 voxel confusion matrix, from which the voxel
classification metrics follow.

    result = evaluate("predictions/", "data/", challenge="brats2023-gli")   # an Evaluation
    result.scores                                # DataFrame, one row per case and region
    result.summary()                             # mean, std, median, quartiles per region
    result.write("predictions/evaluation")       # CSVs, JSON and the confusion-matrix PNG
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from smart_brains.data.discovery import discover
from smart_brains.data.labels import LABEL_NAMES, RC
from smart_brains.data.segmentations import prediction_path, read_pair
from smart_brains.errors import DataError
from smart_brains.evaluation.challenges import (
    CHALLENGES,
    Challenge,
    default_challenge,
    get_challenge,
    score_regions,
)
from smart_brains.evaluation.voxel_classification import class_metrics, confusion_matrix
from smart_brains.paths import write_csv, write_text

COLUMNS = [
    "case_id", "challenge", "region", "dice", "hd95_mm", "sensitivity", "specificity",
    "lesion_dice", "lesion_hd95_mm", "lesions_tp", "lesions_fn", "lesions_fp",
    "ref_cm3", "pred_cm3",
]  # fmt: skip
SUMMARY_METRICS = ["dice", "hd95_mm", "sensitivity", "specificity", "lesion_dice", "lesion_hd95_mm"]


def tumour_crop(pred: np.ndarray, ref: np.ndarray, margin: int = 5) -> tuple[slice, ...]:
    """The box around every labelled voxel of ``pred`` or ``ref``, grown by ``margin`` voxels
    (more than any challenge's dilation, 3, plus the 2024 merge's one), clipped to the volume. Every score is the same on
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
    challenge: Challenge = CHALLENGES["brats2021"],
) -> list[dict[str, float]]:
    """Per-region scores of label maps ``pred`` and ``ref`` (X, Y, Z; internal labels, plus 4 =
    resection cavity for brats2024-gli) under ``challenge``'s rules, computed on ``box``
    (default: ``tumour_crop``)."""
    box = tumour_crop(pred, ref) if box is None else box
    outside = pred.size - pred[box].size  # background in both: true negatives
    return score_regions(pred[box], ref[box], spacing_mm, challenge, outside)


def ranking_score(
    pred: np.ndarray, ref: np.ndarray, spacing_mm: tuple[float, float, float], challenge: Challenge
) -> float:
    """Mean over WT, TC and ET of the Dice ``challenge`` ranks on (lesion-wise for 2023+,
    whole-volume for 2021) of one case: what ``tune-postprocessing`` maximises."""
    box = tumour_crop(pred, ref)
    outside = pred.size - pred[box].size
    rows = score_regions(pred[box], ref[box], spacing_mm, challenge, outside, distances=False)
    return float(
        np.mean([r[challenge.ranking_column] for r in rows if r["region"] in ("WT", "TC", "ET")])
    )


@dataclass(frozen=True)
class Evaluation:
    """Scores of a set of cases.

    Attributes:
        scores: one row per case and region, columns ``COLUMNS``.
        confusion: case id -> (4, 4) voxel counts, rows reference, columns prediction.
        challenge: the rules they were scored by.
    """

    scores: pd.DataFrame
    confusion: dict[str, np.ndarray]
    challenge: Challenge = CHALLENGES["brats2021"]

    def summary(self) -> pd.DataFrame:
        """Per region (rows in the challenge's order): cases, and mean, std, median, 25th and
        75th percentiles of each metric, like the BraTS leaderboard."""
        grouped = self.scores.groupby("region")[SUMMARY_METRICS]
        table = grouped.agg(["mean", "std", "median", q25, q75])
        table.columns = [f"{metric}_{stat}" for metric, stat in table.columns]
        table.insert(0, "cases", self.scores.groupby("region")["case_id"].nunique())
        return table.reindex(list(self.challenge.regions))

    def total_confusion(self) -> np.ndarray:
        """(4, 4) voxel counts summed over cases."""
        return sum(self.confusion.values(), np.zeros((4, 4), np.int64))

    def classification(self) -> pd.DataFrame:
        """Voxel classification metrics per label over all cases (``class_metrics``)."""
        return class_metrics(self.total_confusion())

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """Write scores.csv, summary.csv, classification.csv, confusion.csv and metrics.json
        (everything, for machines) into ``out_dir``; returns the paths. The confusion matrix
        is drawn by whoever shows it (``workflows.scoring``)."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        names = [LABEL_NAMES[k] for k in range(4)]
        paths = {
            "scores": out / "scores.csv",
            "summary": out / "summary.csv",
            "classification": out / "classification.csv",
            "confusion": out / "confusion.csv",
            "json": out / "metrics.json",
        }
        write_csv(self.scores, paths["scores"], index=False)
        write_csv(self.summary(), paths["summary"])
        write_csv(self.classification(), paths["classification"])
        confusion = pd.DataFrame(self.total_confusion(), index=names, columns=names)
        write_csv(confusion.rename_axis("reference \\ prediction"), paths["confusion"])
        document = {
            "challenge": self.challenge.name,
            "ranking": self.challenge.ranking_column,
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


def evaluate(
    pred_dir: str | Path,
    data: str | Path,
    layout: str | None = None,
    case_ids: list[str] | None = None,
    challenge: str | None = None,
) -> Evaluation:
    """Scores of every labelled case of ``data`` (or ``case_ids``) against ``pred_dir``, by
    the rules of ``challenge`` (default: ``default_challenge`` of the dataset)."""
    pred_dir = Path(pred_dir)
    if not pred_dir.is_dir():
        raise DataError(f"{pred_dir}: prediction folder does not exist")
    cases = [c for c in discover(data, layout) if c.seg is not None]
    if case_ids is not None:
        cases = [c for c in cases if c.case_id in set(case_ids)]
    if not cases:
        raise DataError(f"{data}: no cases with a reference segmentation (*_seg) to evaluate")
    rules = (
        get_challenge(challenge)
        if challenge
        else default_challenge([c.case_id for c in cases], cases[0].convention)
    )
    rows, matrices = [], {}
    for case in cases:
        pred, ref, spacing = read_pair(
            case, prediction_path(pred_dir, case.case_id), rules.keeps_cavity
        )
        box = tumour_crop(pred, ref)
        rows.extend(
            {"case_id": case.case_id, "challenge": rules.name, **row}
            for row in score_labels(pred, ref, spacing, box, rules)
        )
        tumour = (np.where(pred == RC, 0, pred), np.where(ref == RC, 0, ref))  # RC: background
        matrices[case.case_id] = confusion_matrix(tumour[0][box], tumour[1][box])
        matrices[case.case_id][0, 0] += pred.size - pred[box].size
    return Evaluation(pd.DataFrame(rows, columns=COLUMNS), matrices, rules)
