import numpy as np

from smart_brains.training.patches import sample_corner


def test_corners_are_seeded_and_foreground_centred():
    shapes, fg = [(20, 20, 20)], [np.array([[10, 10, 10]])]
    a = sample_corner(np.random.default_rng([1, 2, 3]), shapes, fg, (8, 8, 8), 1.0)
    b = sample_corner(np.random.default_rng([1, 2, 3]), shapes, fg, (8, 8, 8), 1.0)
    assert a == b == (0, (6, 6, 6))
