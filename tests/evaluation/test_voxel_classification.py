import numpy as np
import pytest

from smart_brains.evaluation.voxel_classification import class_metrics, confusion_matrix


def test_confusion_rows_are_reference_columns_prediction():
    ref = np.array([0, 0, 1, 1, 2, 3, 3, 3])
    pred = np.array([0, 1, 1, 1, 2, 3, 3, 2])
    m = confusion_matrix(pred, ref)
    assert m.sum() == 8
    assert m[0, 1] == 1  # background called NCR
    assert m[3, 2] == 1  # ET called oedema
    assert np.trace(m) == 6


def test_class_metrics_by_hand():
    ref = np.array([0, 0, 1, 1, 2, 3, 3, 3])
    pred = np.array([0, 1, 1, 1, 2, 3, 3, 2])
    table = class_metrics(confusion_matrix(pred, ref))
    et = table.loc["ET"]  # TP 2, FN 1, FP 0, TN 5
    assert et["precision"] == 1.0
    assert et["recall"] == pytest.approx(2 / 3)
    assert et["specificity"] == 1.0
    assert et["accuracy"] == pytest.approx(7 / 8)
    assert et["f1"] == et["dice"] == pytest.approx(4 / 5)
    ncr = table.loc["NCR/NET"]  # TP 2, FN 0, FP 1, TN 5
    assert ncr["precision"] == pytest.approx(2 / 3)
    assert ncr["specificity"] == pytest.approx(5 / 6)


def test_absent_class_has_undefined_ratios_not_zero():
    table = class_metrics(confusion_matrix(np.zeros(5, int), np.zeros(5, int)))
    assert np.isnan(table.loc["ET", "precision"]) and np.isnan(table.loc["ET", "recall"])
    assert table.loc["ET", "specificity"] == 1.0
