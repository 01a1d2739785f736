import numpy as np
import pytest

from smart_brains.data.labels import ED, ET, NCR
from smart_brains.errors import SmartBrainsError
from smart_brains.evaluation.challenges import get_challenge
from smart_brains.evaluation.evaluate import ranking_score
from smart_brains.inference.postprocess import PostProcessing, tune

SHAPE = (24, 24, 24)


def tumour(shape=SHAPE):
    """A 6^3 tumour: oedema shell, necrotic core, enhancing slab."""
    labels = np.zeros(shape, np.uint8)
    labels[2:8, 2:8, 2:8] = ED
    labels[3:7, 3:7, 3:7] = NCR
    labels[3:7, 3:7, 3] = ET
    return labels


def test_each_region_demotes_its_small_components_and_keeps_big_ones():
    labels = tumour()
    labels[15:17, 15:17, 15:17] = ED  # 8-voxel WT island -> background
    labels[20:22, 2:4, 2:4] = NCR  # 8-voxel TC island inside no WT -> oedema
    labels[2:4, 20:22, 2:4] = ET  # 8-voxel ET island -> necrosis
    out = PostProcessing((10, 0, 0)).apply(labels)
    assert (out[15:17, 15:17, 15:17] == 0).all() and (out[20:22, 2:4, 2:4] == 0).all()
    assert np.array_equal(out[:10, :10, :10], labels[:10, :10, :10])
    out = PostProcessing((0, 10, 10)).apply(labels)
    assert (out[20:22, 2:4, 2:4] == ED).all() and (out[2:4, 20:22, 2:4] == ED).all()
    out = PostProcessing((0, 0, 10)).apply(labels)
    assert (out[2:4, 20:22, 2:4] == NCR).all() and (out[3:7, 3:7, 3] == ET).all()
    assert (labels[15:17, 15:17, 15:17] == ED).all()  # the input is left alone
    assert np.array_equal(PostProcessing().apply(labels), labels)


def test_sizes_are_saved_and_read_back_and_old_files_still_load():
    post = PostProcessing((50, 0, 200))
    assert PostProcessing.from_dict(post.to_dict()) == post
    assert PostProcessing.from_dict({"min_et_voxels": 25}) == PostProcessing((0, 0, 25))
    assert PostProcessing.parse("50,0,200") == post
    with pytest.raises(SmartBrainsError, match="WT,TC,ET"):
        PostProcessing.parse("50,-1")


def test_tuning_on_the_lesion_wise_metric_removes_the_islands_it_punishes():
    ref = tumour()
    pred = ref.copy()
    pred[15:17, 15:17, 15:17] = ED  # a stray WT island: a false-positive lesion in 2023+
    cases = [(pred, (ref, (1.0, 1.0, 1.0)))]
    rules = get_challenge("brats2023-gli")
    best, search = tune(cases, lambda p, rs: ranking_score(p, *rs, rules), (0, 25, 300))
    assert best.min_voxels[0] == 25  # 300 would remove the 216-voxel tumour too
    assert search["WT"][25] > search["WT"][0] and search["WT"][300] < search["WT"][25]
    # whole-volume Dice barely notices the island: the 2021 metric gains far less from it
    legacy = get_challenge("brats2021")
    gain_2021 = ranking_score(best.apply(pred), ref, (1, 1, 1), legacy) - ranking_score(
        pred, ref, (1, 1, 1), legacy
    )
    gain_2023 = search["WT"][25] - search["WT"][0]
    assert 0 < gain_2021 < gain_2023
