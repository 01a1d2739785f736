"""Lesion-wise scores on hand-made volumes, against the BraTS 2023 definition worked by hand."""

import numpy as np
import pytest

from smart_brains.evaluation.lesions import PENALTY_HD95_MM, lesion_wise, reference_lesions

SHAPE = (40, 40, 40)
ONE_MM = (1.0, 1.0, 1.0)


def box(lo, size, shape=SHAPE):
    mask = np.zeros(shape, bool)
    mask[tuple(slice(a, a + size) for a in lo)] = True
    return mask


BIG_A = box((2, 2, 2), 5)  # 125 voxels
BIG_B = box((25, 25, 25), 5)  # 125 voxels, far from A
TINY = box((2, 30, 2), 2)  # 8 voxels: dropped (<= 50 mm^3 at 1 mm)
FAR_FP = box((30, 2, 30), 3)  # predicted where there is nothing


def test_two_lesions_found_exactly():
    got = lesion_wise(BIG_A | BIG_B, BIG_A | BIG_B, ONE_MM)
    assert (got.dice, got.hd95_mm, got.tp, got.fn, got.fp) == (1.0, 0.0, 2, 0, 0)


def test_missed_lesion_scores_zero_and_the_penalty():
    got = lesion_wise(BIG_A, BIG_A | BIG_B, ONE_MM)
    assert got.dice == pytest.approx(0.5)
    assert got.hd95_mm == pytest.approx(PENALTY_HD95_MM / 2)
    assert (got.tp, got.fn, got.fp) == (1, 1, 0)


def test_tiny_reference_lesion_is_dropped_whether_found_or_not():
    missed = lesion_wise(BIG_A, BIG_A | TINY, ONE_MM)
    found = lesion_wise(BIG_A | TINY, BIG_A | TINY, ONE_MM)
    for got in (missed, found):
        assert (got.dice, got.hd95_mm, got.tp, got.fn, got.fp) == (1.0, 0.0, 1, 0, 0)


def test_false_positive_adds_a_zero_and_the_penalty():
    got = lesion_wise(BIG_A | FAR_FP, BIG_A, ONE_MM)
    assert got.dice == pytest.approx(0.5)
    assert got.hd95_mm == pytest.approx(PENALTY_HD95_MM / 2)
    assert (got.tp, got.fn, got.fp) == (1, 0, 1)


def test_predicting_a_tiny_lesion_is_not_a_false_positive():
    got = lesion_wise(BIG_A | TINY, BIG_A | TINY, ONE_MM)
    assert got.fp == 0


def test_empty_cases():
    empty = np.zeros(SHAPE, bool)
    assert lesion_wise(empty, empty, ONE_MM).dice == 1.0
    assert lesion_wise(empty, empty, ONE_MM).hd95_mm == 0.0
    nothing_found = lesion_wise(empty, BIG_A, ONE_MM)
    assert (nothing_found.dice, nothing_found.hd95_mm) == (0.0, PENALTY_HD95_MM)
    only_fp = lesion_wise(FAR_FP, empty, ONE_MM)
    assert (only_fp.dice, only_fp.hd95_mm, only_fp.fp) == (0.0, PENALTY_HD95_MM, 1)


def test_nearby_components_are_one_lesion():
    # two blocks 2 voxels apart join after 3 dilations: one lesion of 250 voxels
    left, right = box((10, 10, 10), 5), box((10, 10, 17), 5)
    ids, n = reference_lesions(left | right)
    assert n == 1 and set(np.unique(ids)) == {0, 1}
    got = lesion_wise(left, left | right, ONE_MM)
    assert (got.tp, got.fn, got.fp) == (1, 0, 0)
    assert got.dice == pytest.approx(2 * 125 / (125 + 250))


def test_split_prediction_of_one_lesion_is_one_match():
    lesion = box((10, 10, 10), 6)
    halves = lesion.copy()
    halves[:, :, 13] = False  # the prediction in two parts
    got = lesion_wise(halves, lesion, ONE_MM)
    assert (got.tp, got.fp) == (1, 0)
    assert got.dice == pytest.approx(2 * 180 / (180 + 216))


def test_volume_threshold_is_in_cubic_millimetres():
    small = box((10, 10, 10), 3)  # 27 voxels: 27 mm^3 at 1 mm (dropped), 216 mm^3 at 2 mm (kept)
    assert lesion_wise(np.zeros(SHAPE, bool), small, ONE_MM).dice == 1.0
    assert lesion_wise(np.zeros(SHAPE, bool), small, (2.0, 2.0, 2.0)).dice == 0.0


def test_scores_on_the_tumour_crop_equal_scores_on_the_whole_volume():
    from smart_brains.data.labels import ED, ET, NCR
    from smart_brains.evaluation import evaluate as ev

    ref = np.zeros((60, 60, 60), np.uint8)
    ref[20:30, 20:30, 20:30] = ED
    ref[23:27, 23:27, 23:27] = ET
    ref[40:42, 40:42, 40:42] = NCR
    pred = np.roll(ref, 2, axis=0)
    pred[5:9, 50:54, 5:9] = ET  # a false positive near the border
    box = ev.tumour_crop(pred, ref)
    assert pred[box].size < pred.size
    cropped = ev.score_labels(pred, ref, ONE_MM)
    original = ev.tumour_crop
    try:  # the same scores without the crop
        ev.tumour_crop = lambda p, r, margin=4: tuple(slice(0, n) for n in p.shape)
        whole = ev.score_labels(pred, ref, ONE_MM)
    finally:
        ev.tumour_crop = original
    assert cropped == whole
