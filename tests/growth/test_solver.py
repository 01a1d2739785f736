"""The Fisher-Kolmogorov solver: the front speed theory predicts, mass kept by diffusion, no
flux into tissue of zero diffusivity, a preference for white matter, and grids that round-trip."""

import numpy as np
import pytest

from smart_brains.growth.solver import (
    D_MAX,
    coarsen,
    diffuse_step,
    face_diffusivity,
    grow,
    refine,
    spread,
)


def _radius(u: np.ndarray, level: float = 0.5) -> float:
    """Radius (voxels) of a ball of the volume above ``level``."""
    return float((3 * np.count_nonzero(u > level) / (4 * np.pi)) ** (1 / 3))


def _front_speed(rho: float) -> float:
    """Voxels per step of the u = 0.5 front between radii 12 and 22 in a homogeneous medium."""
    n = 64
    d = np.full((n, n, n), D_MAX, np.float32)
    # a saturated ball: a single voxel first diffuses, then ignites, and runs fast for a while
    u0 = (np.sqrt(((np.indices(d.shape) - n // 2) ** 2).sum(0)) < 6).astype(np.float32)
    u1, _ = grow(u0, d, np.float32(rho), 0.5, int(4 / 3 * np.pi * 12**3), check_every=1)
    u2, steps = grow(u1, d, np.float32(rho), 0.5, int(4 / 3 * np.pi * 22**3), check_every=1)
    return (_radius(u2) - _radius(u1)) / steps


def test_the_front_moves_as_fisher_kolmogorov_predicts():
    slow, fast = _front_speed(0.02), _front_speed(0.08)
    assert 1.85 < fast / slow < 2.15  # speed 2 sqrt(D rho): four times rho, twice the speed
    for rho, speed in ((0.02, slow), (0.08, fast)):
        limit = 2 * np.sqrt(D_MAX * rho)  # the 1D travelling wave; a 3D front stays below it
        assert 0.7 * limit < speed < limit  # (curvature 2D/R and Bramson's delay slow it)


def test_growth_stops_at_its_target_volume():
    d = np.full((40, 40, 40), D_MAX, np.float32)
    u0 = np.zeros_like(d)
    u0[20, 20, 20] = 1.0
    u, steps = grow(u0, d, np.float32(0.1), 0.5, 2000, check_every=1)
    assert 2000 <= np.count_nonzero(u > 0.5) < 2300 and steps < 3000
    assert u.min() >= 0 and u.max() <= 1


def test_diffusion_keeps_mass_and_nothing_enters_tissue_it_cannot_reach():
    rng = np.random.default_rng(0)
    d = np.full((20, 20, 20), D_MAX, np.float32)
    d[:, :, 12:] = 0  # CSF or outside the brain
    u = rng.random(d.shape).astype(np.float32) * (d > 0)
    change = diffuse_step(u, face_diffusivity(d))
    assert abs(float(change.sum())) < 1e-3
    assert np.all(change[:, :, 12:] == 0)
    v = spread(np.pad(np.ones((2, 2, 2), bool), 9), d, 0.3, 10**6, max_steps=200)
    assert np.all(v[:, :, 12:] == 0)


def test_a_tumour_spreads_further_into_white_than_into_grey_matter():
    d = np.full((60, 40, 40), D_MAX, np.float32)
    d[30:] = D_MAX / 10  # grey matter beyond x = 30
    u0 = np.zeros_like(d)
    u0[30, 20, 20] = 1.0
    u, _ = grow(u0, d, np.float32(0.08), 0.5, 3000)
    tumour = np.argwhere(u > 0.5)[:, 0]
    assert (tumour < 30).sum() > 2 * (tumour >= 30).sum()


@pytest.mark.parametrize("factor", [1, 2, 3])
def test_coarsen_and_refine_round_trip_a_smooth_field(factor):
    x = np.indices((30, 26, 20)).sum(0).astype(np.float32)  # linear: interpolation is exact
    back = refine(coarsen(x, factor), factor, x.shape)
    assert back.shape == x.shape
    inner = tuple(slice(factor, n - 2 * factor) for n in x.shape)
    np.testing.assert_allclose(back[inner], x[inner], atol=1e-3)
