import numpy as np

from smart_brains.training.patches import extract_patch, sample_corner


def test_extract_patch_pads_outside_the_volume():
    volume = np.arange(4 * 5 * 6).reshape(1, 4, 5, 6).astype(np.float32) + 1
    patch = extract_patch(volume, (-2, 3, 4), (4, 4, 4))
    assert patch.shape == (1, 4, 4, 4)
    assert (patch[:, :2] == 0).all()  # before the start of x
    assert (patch[:, :, 2:] == 0).all()  # past the end of y (5 voxels, from 3)
    assert np.array_equal(patch[0, 2:, :2, :2], volume[0, 0:2, 3:5, 4:6])


def test_corners_are_seeded_and_foreground_centred():
    shapes, fg = [(20, 20, 20)], [np.array([[10, 10, 10]])]
    a = sample_corner(np.random.default_rng([1, 2, 3]), shapes, fg, (8, 8, 8), 1.0)
    b = sample_corner(np.random.default_rng([1, 2, 3]), shapes, fg, (8, 8, 8), 1.0)
    assert a == b == (0, (6, 6, 6))
