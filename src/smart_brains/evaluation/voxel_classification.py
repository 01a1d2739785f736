"""Voxel classification metrics over the four labels, as the original project reported them.

Classes are the internal labels 0 background, 1 NCR (necrotic/non-enhancing core), 2 ED
(oedema), 3 ET (enhancing tumour); see ``data/labels.py``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from smart_brains.data.labels import LABEL_NAMES

N_CLASSES = 4


def confusion_matrix(pred: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """(4, 4) int64 voxel counts: row = reference label, column = predicted label.

    ``pred`` and ``ref`` are internal label maps of equal shape (values 0..3).
    """
    ref = np.asarray(ref, np.int64).ravel()
    pred = np.asarray(pred, np.int64).ravel()
    return np.bincount(ref * N_CLASSES + pred, minlength=N_CLASSES**2).reshape(N_CLASSES, N_CLASSES)


def class_metrics(matrix: np.ndarray) -> pd.DataFrame:
    """Per-class accuracy, precision, recall, specificity, F1 and Dice from a confusion matrix.

    One-vs-rest for each class: accuracy (TP+TN)/N; precision TP/(TP+FP); recall
    TP/(TP+FN); specificity TN/(TN+FP); F1 = Dice = 2TP/(2TP+FP+FN) (the same number for
    voxels, both reported because both are asked for). A ratio with no denominator is NaN.
    """
    matrix = np.asarray(matrix, np.float64)
    total = matrix.sum()
    rows = []
    for k in range(N_CLASSES):
        tp = matrix[k, k]
        fn = matrix[k].sum() - tp
        fp = matrix[:, k].sum() - tp
        tn = total - tp - fn - fp

        def ratio(num: float, den: float) -> float:
            return float(num / den) if den else float("nan")

        f1 = ratio(2 * tp, 2 * tp + fp + fn)
        rows.append(
            {
                "class": LABEL_NAMES[k],
                "voxels": int(tp + fn),
                "accuracy": ratio(tp + tn, total),
                "precision": ratio(tp, tp + fp),
                "recall": ratio(tp, tp + fn),
                "specificity": ratio(tn, tn + fp),
                "f1": f1,
                "dice": f1,
            }
        )
    return pd.DataFrame(rows).set_index("class")
