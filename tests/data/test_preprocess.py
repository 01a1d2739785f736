import numpy as np
import pytest

from smart_brains.data.preprocess import (
    brain_box,
    crop,
    extract_patch,
    normalise_case,
    uncrop,
    zscore_in_mask,
)


def test_brain_box_is_union_over_channels():
    image = np.zeros((2, 10, 10, 10))
    image[0, 2, 3, 4] = 1
    image[1, 7, 8, 5] = 1
    assert brain_box(image) == ((2, 8), (3, 9), (4, 6))


def test_all_zero_image_is_an_error():
    with pytest.raises(ValueError, match="all zero"):
        brain_box(np.zeros((1, 4, 4, 4)))


def test_crop_uncrop_round_trip():
    rng = np.random.default_rng(0)
    full = np.zeros((3, 12, 11, 9), np.float32)
    full[:, 2:10, 1:8, 3:9] = rng.random((3, 8, 7, 6)) + 1
    box = brain_box(full)
    assert np.array_equal(uncrop(crop(full, box), box, full.shape[1:]), full)


def test_zscore_inside_mask_only():
    image = np.array([[[[0, 2, 4, 6]]]], np.float32)
    mask = image[0] > 0
    z = zscore_in_mask(image, mask)
    assert z[0, 0, 0, 0] == 0
    assert np.isclose(z[0][mask].mean(), 0) and np.isclose(z[0][mask].std(), 1)


def test_constant_channel_becomes_zero():
    image = np.ones((1, 3, 3, 3), np.float32)
    assert not zscore_in_mask(image, image[0] > 0).any()


def test_normalise_case_crops_and_scores_each_modality():
    image = np.zeros((2, 8, 8, 8), np.float32)
    image[0, 2:6, 2:6, 2:6] = np.arange(64).reshape(4, 4, 4) + 1
    image[1, 2:6, 2:6, 2:6] = 1000 * (np.arange(64).reshape(4, 4, 4) + 1)
    out, box = normalise_case(image)
    assert out.shape == (2, 4, 4, 4) and box == ((2, 6), (2, 6), (2, 6))
    assert np.allclose(out[0], out[1], atol=1e-5)  # intensity scale removed


def test_extract_patch_pads_outside_the_volume():
    volume = np.arange(4 * 5 * 6).reshape(1, 4, 5, 6).astype(np.float32) + 1
    patch = extract_patch(volume, (-2, 3, 4), (4, 4, 4))
    assert patch.shape == (1, 4, 4, 4)
    assert (patch[:, :2] == 0).all()  # before the start of x
    assert (patch[:, :, 2:] == 0).all()  # past the end of y (5 voxels, from 3)
    assert np.array_equal(patch[0, 2:, :2, :2], volume[0, 0:2, 3:5, 4:6])
