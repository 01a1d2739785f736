import numpy as np
import pytest

from smart_brains.evaluation.metrics import (
    EMPTY_HD95_MM,
    confusion,
    dice,
    hd95,
    sensitivity_specificity,
    surface_distances,
)


def cube(shape=(20, 20, 20), lo=5, hi=10):
    m = np.zeros(shape, bool)
    m[lo:hi, lo:hi, lo:hi] = True
    return m


def test_dice_identical_disjoint_half():
    a = cube()
    assert dice(a, a) == 1.0
    assert dice(a, cube(lo=12, hi=15)) == 0.0
    b = a.copy()
    b[5:10, 5:10, 5:7] = False  # 50 of 125 voxels removed
    assert dice(b, a) == pytest.approx(2 * 75 / 200)


def test_both_empty_is_perfect_one_empty_is_worst():
    empty = np.zeros((5, 5, 5), bool)
    assert dice(empty, empty) == 1.0 and hd95(empty, empty, (1, 1, 1)) == 0.0
    assert dice(empty, cube((5, 5, 5), 1, 3)) == 0.0
    assert hd95(empty, cube((5, 5, 5), 1, 3), (1, 1, 1)) == EMPTY_HD95_MM
    assert hd95(cube((5, 5, 5), 1, 3), empty, (1, 1, 1)) == EMPTY_HD95_MM


def test_hd95_of_a_shifted_cube_uses_spacing():
    a = cube()
    b = np.roll(a, 2, axis=0)
    assert hd95(a, a, (1, 1, 1)) == 0.0
    assert hd95(a, b, (1, 1, 1)) == pytest.approx(2.0)
    assert hd95(a, b, (3, 1, 1)) == pytest.approx(6.0)


def test_surface_distances_pool_both_directions():
    a = cube(lo=5, hi=10)
    b = cube(lo=5, hi=11)  # one voxel larger along every axis' upper side
    forward, backward = surface_distances(a, b, (1, 1, 1))
    assert len(forward) == 5**3 - 3**3 and len(backward) == 6**3 - 4**3
    assert forward.max() == 1.0  # a's far faces are one voxel inside b's
    assert backward.max() == pytest.approx(np.sqrt(3))  # b's far corner to a's


def test_confusion_counts():
    a, b = cube(), cube(lo=7, hi=12)
    tp, fp, fn, tn = confusion(a, b)
    assert tp == 27 and fp == 125 - 27 and fn == 125 - 27 and tp + fp + fn + tn == a.size


def test_sensitivity_specificity():
    ref, pred = cube(), cube(lo=5, hi=9)  # 125 reference voxels, 64 predicted inside them
    sens, spec = sensitivity_specificity(pred, ref)
    assert sens == pytest.approx(64 / 125) and spec == 1.0
    sens, spec = sensitivity_specificity(cube(lo=0, hi=5), ref)  # disjoint, 125 false positives
    assert sens == 0.0 and spec == pytest.approx((8000 - 250) / (8000 - 125))
    empty = np.zeros((20, 20, 20), bool)
    assert sensitivity_specificity(empty, empty) == (1.0, 1.0)
    assert sensitivity_specificity(ref, empty)[0] == 0.0


def test_matches_official_brats_evaluation_on_the_real_case(real_case):
    """SOURCE.md: the official package scores isen-20 vs _seg at WT 0.9139 / 5.477 mm, ET 0.9459 / 1.0 mm."""
    import nibabel as nib

    from smart_brains.data.labels import labels_to_regions, to_internal

    ref_img = nib.load(str(real_case / "TCGA-FG-6692_seg.nii.gz"))
    ref = labels_to_regions(to_internal(np.asarray(ref_img.dataobj), "brats2021"))
    pred = labels_to_regions(
        to_internal(
            np.asarray(nib.load(str(real_case / "refs" / "isen-20.nii.gz")).dataobj), "brats2021"
        )
    )
    spacing = ref_img.header.get_zooms()[:3]
    assert dice(pred[0], ref[0]) == pytest.approx(0.9139, abs=1e-4)
    assert hd95(pred[0], ref[0], spacing) == pytest.approx(5.477, abs=1e-3)
    assert dice(pred[2], ref[2]) == pytest.approx(0.9459, abs=1e-4)
    assert hd95(pred[2], ref[2], spacing) == pytest.approx(1.0)
