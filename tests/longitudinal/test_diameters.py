"""RANO diameters of ellipses and ellipsoids of known axes: any in-plane orientation, sub-voxel
offset, isotropic and anisotropic spacing; lines inside the lesion."""

import numpy as np
import pytest

from smart_brains.longitudinal.diameters import bidimensional
from smart_brains.longitudinal.lesions import axial_axis, measure_lesions


def ellipse(axes_mm, theta, spacing, offset=(0.0, 0.0), size_mm=90.0):
    n = [int(size_mm / s) for s in spacing]
    i, j = np.meshgrid(*[np.arange(k) for k in n], indexing="ij")
    x = (i - n[0] / 2) * spacing[0] + offset[0]
    y = (j - n[1] / 2) * spacing[1] + offset[1]
    u = np.cos(theta) * x + np.sin(theta) * y
    v = -np.sin(theta) * x + np.cos(theta) * y
    return (u / axes_mm[0]) ** 2 + (v / axes_mm[1]) ** 2 <= 1


def ellipsoid(shape, spacing, centre_mm, axes_mm, theta):
    grids = np.meshgrid(*[np.arange(n) * s for n, s in zip(shape, spacing)], indexing="ij")
    x, y, z = [g - c for g, c in zip(grids, centre_mm)]
    u = np.cos(theta) * x + np.sin(theta) * y
    v = -np.sin(theta) * x + np.cos(theta) * y
    return (u / axes_mm[0]) ** 2 + (v / axes_mm[1]) ** 2 + (z / axes_mm[2]) ** 2 <= 1


@pytest.mark.parametrize("spacing", [(1.0, 1.0), (0.8, 1.2), (2.0, 2.0)])
@pytest.mark.parametrize("theta", np.linspace(0, np.pi, 7, endpoint=False))
def test_diameters_within_a_voxel_at_any_orientation(spacing, theta):
    for offset in [(0.0, 0.0), (0.37, -0.61)]:
        got = bidimensional(ellipse((20.0, 12.0), theta, spacing, offset), spacing)
        voxel = max(spacing)
        assert abs(got.longest_mm - 40.0) <= voxel
        assert abs(got.perpendicular_mm - 24.0) <= voxel
        assert abs(got.product_mm2 / 960.0 - 1) <= 0.10


def test_both_lines_lie_inside_a_concave_lesion_and_are_perpendicular():
    spacing = (1.0, 1.0)
    crescent = ellipse((22.0, 14.0), 0.4, spacing) & ~ellipse(
        (22.0, 14.0), 0.4, spacing, (0.0, 9.0)
    )
    got = bidimensional(crescent, spacing)
    for a, b in (got.longest_ends, got.perpendicular_ends):
        for t in np.linspace(0, 1, 200):
            point = np.floor(np.add(a, t * np.subtract(b, a)) + 0.5).astype(int)
            assert crescent[tuple(point)]
    long_dir = np.subtract(*got.longest_ends)
    perp_dir = np.subtract(*got.perpendicular_ends)
    cosine = abs(long_dir @ perp_dir) / np.linalg.norm(long_dir) / np.linalg.norm(perp_dir)
    assert cosine < 0.02


@pytest.mark.parametrize("spacing", [(1.0, 1.0, 1.0), (1.0, 1.0, 3.0), (0.9, 1.2, 2.5)])
def test_ellipsoids_measured_on_their_largest_axial_slice(spacing):
    shape = tuple(int(f / s) for f, s in zip((160.0, 160.0, 100.0), spacing))
    big = ellipsoid(shape, spacing, (60.0, 80.0, 50.0), (20.0, 12.0, 10.0), 0.6)
    small = ellipsoid(shape, spacing, (120.0, 70.0, 50.0), (8.0, 6.0, 6.0), 2.0)
    affine = np.diag([-spacing[0], -spacing[1], spacing[2], 1.0])
    lesions = measure_lesions(big | small, affine)
    assert len(lesions) == 2  # two lesions, largest first
    for lesion, (d1, d2) in zip(lesions, [(40.0, 24.0), (16.0, 12.0)]):
        assert abs(lesion.longest_mm - d1) <= max(spacing[:2])
        assert abs(lesion.perpendicular_mm - d2) <= max(spacing[:2])
        assert lesion.measurable
        assert abs(lesion.slice_index * spacing[2] - 50.0) <= spacing[2]
    assert abs(lesions[0].volume_mm3 / (4 / 3 * np.pi * 20 * 12 * 10) - 1) < 0.05
    # the world ends of the line are the voxel ends through the affine
    start = np.asarray(lesions[0].longest_vox[0])
    assert np.allclose(affine[:3, :3] @ start + affine[:3, 3], lesions[0].longest_world[0])


def test_axial_axis_follows_the_affine_and_small_lesions_are_not_measurable():
    # stored with the head-foot direction on voxel axis 0 (a sagittal-first volume)
    permuted = np.array([[0, 0, 1.0, 0], [0, 1.0, 0, 0], [1.0, 0, 0, 0], [0, 0, 0, 1]])
    assert axial_axis(permuted) == 0
    mask = np.zeros((40, 60, 60), bool)
    mask[18:22, 10:50, 20:44] = True  # 40 x 24 mm in the axial plane (axes 1, 2), 4 slices
    lesion = measure_lesions(mask, permuted)[0]
    assert lesion.axial_axis == 0 and lesion.slices == 4
    assert abs(lesion.longest_mm - np.hypot(40, 24)) <= 1.0
    tiny = np.zeros((40, 40, 40), bool)
    tiny[10:18, 10:18, 10] = True  # 8 mm, one slice
    assert not measure_lesions(tiny, np.eye(4))[0].measurable


def test_a_rim_enhancing_lesion_is_measured_to_its_outer_edge():
    spacing = (1.0, 1.0, 1.0)
    shape = (100, 100, 60)
    outer = ellipsoid(shape, spacing, (50.0, 50.0, 30.0), (20.0, 12.0, 10.0), 0.6)
    inner = ellipsoid(shape, spacing, (50.0, 50.0, 30.0), (15.0, 8.0, 7.0), 0.6)
    rim = outer & ~inner  # enhancing rim around necrosis
    lesion = measure_lesions(rim, np.eye(4))[0]
    assert abs(lesion.longest_mm - 40.0) <= 1.0 and abs(lesion.perpendicular_mm - 24.0) <= 1.0
    assert abs(lesion.volume_mm3 - rim.sum()) < 1e-6  # the volume is the enhancing voxels'
