"""Parity with the official BraTS 2023 lesion-wise script on the real case.

``refs/official-brats2023-gli-scores.csv`` holds what ``metrics.py`` of
rachitsaluja/BraTS-2023-Metrics (challenge BraTS-GLI) printed for five BraTS 2020 algorithms
against the reference (see the case's SOURCE.md). ``evaluate --challenge brats2023-gli`` must
give every one of those numbers: counts exactly, Dice, sensitivity and specificity to 1e-6,
HD95 (whole-volume and lesion-wise, DeepMind's area-weighted percentile) to 1e-3 mm.
"""

import pandas as pd
import pytest

from smart_brains.data.discovery import discover
from smart_brains.data.segmentations import read_pair
from smart_brains.evaluation.challenges import get_challenge
from smart_brains.evaluation.evaluate import score_labels

COLUMNS = {  # official column -> ours, tolerance
    "Num_TP": ("lesions_tp", 0),
    "Num_FP": ("lesions_fp", 0),
    "Num_FN": ("lesions_fn", 0),
    "Sensitivity": ("sensitivity", 1e-6),
    "Specificity": ("specificity", 1e-6),
    "Legacy_Dice": ("dice", 1e-6),
    "Legacy_HD95": ("hd95_mm", 1e-3),
    "LesionWise_Score_Dice": ("lesion_dice", 1e-6),
    "LesionWise_Score_HD95": ("lesion_hd95_mm", 1e-3),
}


def test_every_official_2023_number_is_matched(real_case):
    official = pd.read_csv(real_case / "refs" / "official-brats2023-gli-scores.csv")
    (case,) = discover(real_case.parent)
    challenge = get_challenge("brats2023-gli")
    checked = 0
    for name, theirs in official.groupby("pred"):
        pred, ref, spacing = read_pair(
            case, real_case / "refs" / f"{name}.nii.gz", challenge.keeps_cavity
        )
        ours = {row["region"]: row for row in score_labels(pred, ref, spacing, challenge=challenge)}
        for _, expected in theirs.iterrows():
            row = ours[expected["region"]]
            assert row["ref_cm3"] * 1000 == pytest.approx(expected["GT_Complete_Volume"])
            for column, (mine, tolerance) in COLUMNS.items():
                assert row[mine] == pytest.approx(expected[column], abs=tolerance), (
                    name, expected["region"], column,
                )  # fmt: skip
                checked += 1
    assert checked == 5 * 3 * len(COLUMNS)


def test_2021_rules_keep_the_pooled_hd95_where_2023_differs(real_case):
    (case,) = discover(real_case.parent)
    pred, ref, spacing = read_pair(case, real_case / "refs" / "isen-20.nii.gz")
    legacy = {r["region"]: r for r in score_labels(pred, ref, spacing)}
    robust = {
        r["region"]: r
        for r in score_labels(pred, ref, spacing, challenge=get_challenge("brats2023-gli"))
    }
    assert legacy["WT"]["hd95_mm"] == pytest.approx(5.477, abs=1e-3)  # brats-evaluation
    assert robust["WT"]["hd95_mm"] == pytest.approx(7.280, abs=1e-3)  # the 2023 script
    assert legacy["WT"]["dice"] == robust["WT"]["dice"]
