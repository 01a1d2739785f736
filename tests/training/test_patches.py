import numpy as np

from smart_brains.training.patches import (
    PatchParams,
    augment_patch,
    extract_patch,
    sample_patch_params,
)


def test_extract_patch_pads_outside_the_volume():
    volume = np.arange(4 * 5 * 6).reshape(1, 4, 5, 6).astype(np.float32) + 1
    patch = extract_patch(volume, (-2, 3, 4), (4, 4, 4))
    assert patch.shape == (1, 4, 4, 4)
    assert (patch[:, :2] == 0).all()  # before the start of x
    assert (patch[:, :, 2:] == 0).all()  # past the end of y (5 voxels, from 3)
    assert np.array_equal(patch[0, 2:, :2, :2], volume[0, 0:2, 3:5, 4:6])


def test_params_are_seeded():
    shapes, fg = [(20, 20, 20)], [np.array([[10, 10, 10]])]
    a = sample_patch_params(np.random.default_rng([1, 2, 3]), shapes, fg, (8, 8, 8), 4, 1.0, True)
    b = sample_patch_params(np.random.default_rng([1, 2, 3]), shapes, fg, (8, 8, 8), 4, 1.0, True)
    assert a == b
    assert a.corner_vox == (6, 6, 6)  # foreground-centred


def test_flip_moves_image_and_label_together():
    image = np.zeros((1, 4, 4, 4), np.float32)
    label = np.zeros((4, 4, 4), np.uint8)
    image[0, 0, 1, 2], label[0, 1, 2] = 5, 3
    params = PatchParams(0, (0, 0, 0), (True, False, True), (1.0,), (0.0,), 0.0, 0)
    img, lab = augment_patch(image, label, params)
    assert img[0, 3, 1, 1] == 5 and lab[3, 1, 1] == 3
