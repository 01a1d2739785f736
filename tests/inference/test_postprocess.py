import numpy as np

from smart_brains.data.labels import ET, NCR
from smart_brains.inference.postprocess import remove_small_enhancing, tune_min_et_voxels


def test_small_enhancing_components_become_necrosis():
    labels = np.zeros((20, 20, 20), np.uint8)
    labels[2:8, 2:8, 2:8] = ET  # 216 voxels: kept
    labels[15:17, 15:17, 15:17] = ET  # 8 voxels: relabelled
    out = remove_small_enhancing(labels, 200)
    assert (out == ET).sum() == 216 and (out[15:17, 15:17, 15:17] == NCR).all()
    assert (labels == ET).sum() == 224  # the input is left alone
    assert np.array_equal(remove_small_enhancing(labels, 0), labels)


def test_tuning_picks_the_threshold_that_removes_false_specks():
    ref = np.zeros((20, 20, 20), np.uint8)
    ref[2:8, 2:8, 2:8] = ET
    pred = ref.copy()
    pred[15:17, 15:17, 15:17] = ET  # a false 8-voxel ET speck
    empty_ref = np.zeros_like(ref)
    speck_only = np.zeros_like(ref)
    speck_only[15:17, 15:17, 15:17] = ET  # ET predicted in a case without one: Dice 0
    best, scores = tune_min_et_voxels([(pred, ref), (speck_only, empty_ref)], (0, 25, 300))
    assert best == 25
    assert scores[25] == 1.0 and scores[0] < 1.0 and scores[300] < 1.0  # 300 also kills the real ET
