"""Each challenge's rules on hand-made label maps: which region, threshold, dilation and HD95
definition applies, and where 2024 differs from 2023."""

import numpy as np
import pytest

from smart_brains.errors import DataError
from smart_brains.evaluation.challenges import (
    CHALLENGES,
    default_challenge,
    get_challenge,
    merge_touching,
    score_regions,
)

SHAPE = (40, 40, 40)
ONE_MM = (1.0, 1.0, 1.0)


def block(labels, lo, size, value):
    labels[tuple(slice(a, a + s) for a, s in zip(lo, size))] = value
    return labels


def rows(pred, ref, name):
    return {r["region"]: r for r in score_regions(pred, ref, ONE_MM, get_challenge(name))}


def test_default_challenge_follows_the_case_names():
    assert default_challenge(["BraTS2021_00000"], "brats2021").name == "brats2021"
    assert default_challenge(["BraTS-MEN-00004-000"], "brats2023").name == "brats2023-men"
    assert default_challenge(["BraTS-GoAT-00001-000"], "brats2023").name == "brats2023-gli"
    assert default_challenge(["case7"], "brats2023").name == "brats2023-gli"
    with pytest.raises(DataError, match="brats2024-gli"):
        get_challenge("brats2025")


def test_thresholds_and_dilations_per_challenge():
    assert (CHALLENGES["brats2023-men"].dilation, CHALLENGES["brats2023-met"].min_lesion_mm3) == (
        1, (2.0, 2.0, 2.0),
    )  # fmt: skip
    ref = block(
        block(np.zeros(SHAPE, np.uint8), (5, 5, 5), (8, 8, 8), 2), (30, 30, 30), (2, 2, 2), 2
    )
    pred = block(np.zeros(SHAPE, np.uint8), (5, 5, 5), (8, 8, 8), 2)
    # an 8-voxel lesion missed: dropped by GLI (<= 50 mm^3), counted by MET (> 2 mm^3)
    assert rows(pred, ref, "brats2023-gli")["WT"]["lesion_dice"] == 1.0
    met = rows(pred, ref, "brats2023-met")["WT"]
    assert (met["lesion_dice"], met["lesions_fn"]) == (0.5, 1)


def test_2021_hd95_is_pooled_2023_is_the_larger_directed_percentile():
    ref = block(np.zeros(SHAPE, np.uint8), (10, 10, 10), (10, 10, 10), 2)
    # a stray 3^3 island 10 mm beyond the cube: its surface is about 2.6 % of both surfaces
    # pooled (below the 5 % tail: the pooled 95th percentile is 0) but about 5 % of the
    # prediction's own surface (the directed prediction -> reference percentile lands on it)
    pred = block(ref.copy(), (30, 10, 10), (3, 3, 3), 2)
    old, new = rows(pred, ref, "brats2021")["WT"], rows(pred, ref, "brats2023-gli")["WT"]
    assert old["dice"] == new["dice"]
    assert old["hd95_mm"] == 0.0
    assert 10.0 <= new["hd95_mm"] <= np.sqrt(12**2 + 2 * 2**2)  # island to the cube's face
    empty = np.zeros(SHAPE, np.uint8)
    assert rows(empty, ref, "brats2021")["WT"]["hd95_mm"] == 373.13
    assert rows(empty, ref, "brats2023-gli")["WT"]["hd95_mm"] == 374.0


def test_2024_scores_six_regions_with_its_own_thresholds():
    ref = np.zeros(SHAPE, np.uint8)
    block(ref, (5, 5, 5), (10, 10, 10), 2)
    block(ref, (8, 8, 8), (4, 4, 4), 3)
    block(ref, (25, 25, 25), (5, 5, 5), 4)  # resection cavity: no tumour region
    got = rows(ref.copy(), ref, "brats2024-gli")
    assert list(got) == ["WT", "TC", "NETC", "SNFH", "ET", "RC"]
    assert got["RC"]["ref_cm3"] == pytest.approx(0.125)
    assert got["WT"]["ref_cm3"] == pytest.approx(1.0)  # RC is not tumour
    assert got["NETC"]["lesion_dice"] == 1.0 and got["NETC"]["hd95_mm"] == 0.0  # both empty
    # a 15 mm^3 enhancing lesion counts (> 10) in 2024; the 2023 rules would drop it (<= 50)
    small = block(np.zeros(SHAPE, np.uint8), (30, 5, 5), (3, 5, 1), 3)
    assert rows(np.zeros(SHAPE, np.uint8), small, "brats2024-gli")["ET"]["lesions_fn"] == 1
    assert rows(np.zeros(SHAPE, np.uint8), small, "brats2023-gli")["ET"]["lesions_fn"] == 0


def test_2024_prunes_small_predicted_islands_2023_counts_them_as_false_positives():
    ref = block(np.zeros(SHAPE, np.uint8), (5, 5, 5), (8, 8, 8), 2)
    pred = block(ref.copy(), (30, 30, 30), (2, 2, 2), 2)  # an 8-voxel island far away
    assert rows(pred, ref, "brats2023-gli")["WT"]["lesions_fp"] == 1
    assert rows(pred, ref, "brats2024-gli")["WT"]["lesions_fp"] == 0


def test_lesions_touching_one_lesion_of_another_tissue_merge():
    netc = np.zeros(SHAPE, np.int32)
    netc[5:8, 5:8, 5:8] = 1
    netc[5:8, 12:15, 5:8] = 2
    netc[30:33, 30:33, 30:33] = 3  # touches nothing
    et = np.zeros(SHAPE, np.int32)
    et[8, 5:15, 5:8] = 1  # one enhancing rim touching lesions 1 and 2
    merged = merge_touching(netc, et)
    assert merged[6, 6, 6] == merged[6, 13, 6] != merged[31, 31, 31] == 3
    assert len(np.unique(merged)) == 3
