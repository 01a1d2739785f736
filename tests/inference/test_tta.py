import numpy as np
import pytest

from smart_brains.inference.tta import flip_sets, mean_and_spread


def test_flip_sets():
    assert flip_sets("none") == [()]
    assert len(flip_sets("3")) == 4 and () in flip_sets("3")
    assert len(set(flip_sets("8"))) == 8
    with pytest.raises(ValueError):
        flip_sets("5")


def test_mean_and_spread_match_numpy():
    members = np.random.default_rng(1).random((5, 3, 4, 4, 4)).astype(np.float32)
    mean, std, n = mean_and_spread(iter(members))
    assert n == 5
    assert np.allclose(mean, members.mean(0), atol=1e-6)
    assert np.allclose(std, members.std(0), atol=1e-6)
    one_mean, one_std, _ = mean_and_spread([members[0]])
    assert np.array_equal(one_mean, members[0]) and not one_std.any()
