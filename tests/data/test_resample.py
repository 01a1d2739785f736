"""Resampling between spacings: volumes, extents and geometry kept."""

import numpy as np
import pytest

from smart_brains.data.resample import resampled_affine, resize, shape_at, spacing_of


def _sphere(shape, spacing, radius_mm):
    grid = np.meshgrid(*[(np.arange(n) + 0.5) * s for n, s in zip(shape, spacing)], indexing="ij")
    centre = [n * s / 2 for n, s in zip(shape, spacing)]
    return (sum((g - c) ** 2 for g, c in zip(grid, centre)) <= radius_mm**2).astype(np.uint8)


@pytest.mark.parametrize(
    ("spacing", "target"),
    [((1, 1, 1), (2, 2, 2)), ((2, 2, 2), (1, 1, 1)), ((1, 1, 3), (1.5, 1.5, 1.5))],
)
def test_a_sphere_keeps_its_volume(spacing, target):
    shape = tuple(int(round(96 / s)) for s in spacing)  # 96 mm of field along every axis
    sphere = _sphere(shape, spacing, radius_mm=20)
    new_shape = shape_at(shape, spacing, target)
    assert all(abs(n * t - 96) <= t for n, t in zip(new_shape, target))  # the same extent
    labels = resize(sphere, new_shape, labels=True)
    volume = sphere.sum() * np.prod(spacing)
    assert labels.sum() * np.prod(target) == pytest.approx(volume, rel=0.05)
    probs = resize(sphere[None].astype(np.float32), new_shape)[0]
    assert probs.sum() * np.prod(target) == pytest.approx(volume, rel=0.05)


def test_the_resampled_affine_keeps_the_grid_in_place():
    affine = np.array([[-1.0, 0, 0, 120], [0, -1, 0, 130], [0, 0, 1, -70], [0, 0, 0, 1]])
    new = resampled_affine(affine, (240, 240, 155), (120, 120, 78))
    assert spacing_of(new) == pytest.approx((2.0, 2.0, 155 / 78))
    # the outer edge of voxel 0 is where it was: centre of new voxel 0 minus half its size
    old_corner = affine @ [-0.5, -0.5, -0.5, 1]
    new_corner = new @ [-0.5, -0.5, -0.5, 1]
    assert np.allclose(old_corner, new_corner)
    # a point in the middle of the volume maps to the same world coordinate
    assert np.allclose(affine @ [119.5, 119.5, 77, 1], new @ [59.5, 59.5, 38.5, 1])


def test_a_grid_already_at_the_shape_is_returned_as_it_is():
    image = np.random.default_rng(0).random((2, 5, 6, 7)).astype(np.float32)
    assert resize(image, (5, 6, 7)) is image
