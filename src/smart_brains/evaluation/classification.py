"""Case classification scores: accuracy, balanced accuracy, per-class sensitivity and
specificity, ROC AUC with a 95 % bootstrap interval, Brier score, confusion matrix.

Predictions are a table with one row per case: ``case_id``, ``predicted`` and one probability
column ``p_<class>`` per class (``classes.csv``, written by ``classify predict`` and by
``predict`` with a jointly trained model).

- AUC: binary, the usual ROC AUC (the same whichever class is called positive); more classes,
  the macro mean of one-vs-rest AUCs (scikit-learn's ``multi_class="ovr"``).
- 95 % interval: percentile bootstrap over cases (``BOOTSTRAP`` resamples, fixed seed; resamples
  with a single class are drawn again). A classifier is "better than chance" only when the
  interval's lower end is above 0.5. (Under shuffled labels a cross-validated AUC often falls
  below 0.5, since each fold's training set is then enriched in the other class.)
- Brier: binary, the mean squared error of the probability of the second class (scikit-learn's
  ``brier_score_loss``; 0 is perfect, 0.25 is a constant 0.5); more classes, the mean over cases
  of the summed squared errors over classes (Brier's original definition; 0 to 2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    brier_score_loss,
    confusion_matrix,
)

BOOTSTRAP = 2000


def probability_columns(classes: list[str]) -> list[str]:
    return [f"p_{c}" for c in classes]


def classes_of(predictions: pd.DataFrame) -> list[str]:
    """The classes of a predictions table, from its ``p_<class>`` columns, in column order."""
    return [c[2:] for c in predictions.columns if c.startswith("p_")]


def binary_auc(positive: np.ndarray, score: np.ndarray) -> float:
    """ROC AUC of ``score`` for the boolean ``positive`` (Mann-Whitney U, ties counted half:
    the same number as scikit-learn's ``roc_auc_score``, fast enough to bootstrap)."""
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    ranks = rankdata(score)
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def auc(truth: np.ndarray, probabilities: np.ndarray, classes: list[str]) -> float:
    """ROC AUC of ``probabilities`` (N, K) for the true classes ``truth`` (N,) of strings."""
    if len(classes) == 2:
        return binary_auc(truth == classes[1], probabilities[:, 1])
    present = [k for k, c in enumerate(classes) if 0 < (truth == c).sum() < len(truth)]
    return float(np.mean([binary_auc(truth == classes[k], probabilities[:, k]) for k in present]))


def auc_interval(
    truth: np.ndarray, probabilities: np.ndarray, classes: list[str], seed: int = 0
) -> tuple[float, float]:
    """95 % percentile-bootstrap interval of ``auc`` over cases."""
    rng = np.random.default_rng(seed)
    n = len(truth)
    values = []
    while len(values) < BOOTSTRAP:
        idx = rng.integers(0, n, n)
        sample = truth[idx]
        if len(set(sample)) < 2:  # an AUC needs both sides
            continue
        values.append(auc(sample, probabilities[idx], classes))
    low, high = np.percentile(values, [2.5, 97.5])
    return float(low), float(high)


def brier(truth: np.ndarray, probabilities: np.ndarray, classes: list[str]) -> float:
    if len(classes) == 2:
        return float(brier_score_loss(truth == classes[1], probabilities[:, 1]))
    onehot = (truth[:, None] == np.asarray(classes)[None, :]).astype(float)
    return float(np.mean(np.sum((probabilities - onehot) ** 2, axis=1)))


FEW_CASES = 30  # below this a bootstrap interval of an AUC says little (it can read 1.000-1.000)


@dataclass(frozen=True)
class ClassificationScores:
    """Scores of one set of case predictions against the truth.

    Attributes:
        summary: one row: cases, accuracy, balanced_accuracy, auc, auc_low, auc_high, brier,
            better_than_chance (the AUC interval's lower end is above 0.5).
        per_class: per class: cases, sensitivity, specificity.
        confusion: rows = true class, columns = predicted class, case counts.
    """

    summary: pd.DataFrame
    per_class: pd.DataFrame
    confusion: pd.DataFrame

    def sentence(self) -> str:
        row = self.summary.iloc[0]
        verdict = (
            "better than chance"
            if row["better_than_chance"]
            else "no better than chance (the interval reaches 0.5)"
        )
        few = (
            f"; {int(row['cases'])} cases are too few for the interval to mean much"
            if row["cases"] < FEW_CASES
            else ""
        )
        return (
            f"{int(row['cases'])} cases: AUC {row['auc']:.3f} (95 % CI {row['auc_low']:.3f}-"
            f"{row['auc_high']:.3f}, bootstrap over the {int(row['cases'])} cases), balanced "
            f"accuracy {row['balanced_accuracy']:.3f}, accuracy {row['accuracy']:.3f}, Brier "
            f"{row['brier']:.3f}: {verdict}{few}"
        )


def score_classes(predictions: pd.DataFrame, truth: pd.Series) -> ClassificationScores:
    """Scores of ``predictions`` (indexed by case id, see the module docstring) against
    ``truth`` (case id -> class), over the cases both have."""
    classes = classes_of(predictions)
    common = [c for c in predictions.index if c in truth.index]
    y = truth.loc[common].astype(str).to_numpy()
    p = predictions.loc[common, probability_columns(classes)].to_numpy(dtype=float)
    predicted = predictions.loc[common, "predicted"].astype(str).to_numpy()
    low, high = auc_interval(y, p, classes)
    value = auc(y, p, classes)
    summary = pd.DataFrame([{
        "cases": len(common),
        "accuracy": accuracy_score(y, predicted),
        "balanced_accuracy": balanced_accuracy_score(y, predicted),
        "auc": value, "auc_low": low, "auc_high": high,
        "brier": brier(y, p, classes),
        "better_than_chance": bool(low > 0.5),
    }])  # fmt: skip
    matrix = confusion_matrix(y, predicted, labels=classes)
    rows = []
    for k, name in enumerate(classes):
        tp = matrix[k, k]
        fn = matrix[k].sum() - tp
        fp = matrix[:, k].sum() - tp
        tn = matrix.sum() - tp - fn - fp
        rows.append({
            "class": name, "cases": int(tp + fn),
            "sensitivity": tp / (tp + fn) if tp + fn else float("nan"),
            "specificity": tn / (tn + fp) if tn + fp else float("nan"),
        })  # fmt: skip
    confusion = pd.DataFrame(matrix, index=pd.Index(classes, name="true"), columns=classes)
    return ClassificationScores(summary, pd.DataFrame(rows).set_index("class"), confusion)
