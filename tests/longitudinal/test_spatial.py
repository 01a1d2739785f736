"""The spatial growth fit: a series grown by the model with known parameters gives them back
(front speed within 10 %, D and rho within 25 %), and its forecast extent matches where the
tumour then is."""

import numpy as np
import pytest

from conftest import phantom
from smart_brains.longitudinal.spatial import (
    TC_LEVEL,
    WT_LEVEL,
    fit_growth,
    forecast_extent,
    simulate,
)
from smart_brains.synth.anatomy import tissue_fractions
from smart_brains.synth.brains import to_common_scale

SPACING = 2.0


def _labels(u: np.ndarray) -> np.ndarray:
    labels = np.zeros(u.shape, np.uint8)
    labels[u > WT_LEVEL] = 2
    labels[u > TC_LEVEL] = 1
    return labels


@pytest.fixture(scope="module")
def series():
    images, _, _, _ = phantom(shape=(76, 84, 64))
    brain = images[0] > 0
    fractions = tissue_fractions(to_common_scale(images[0], brain)) * brain
    grid = np.indices(brain.shape)
    u = ((((grid - np.array([44, 40, 30])[:, None, None, None]) ** 2).sum(0)) < 4) * brain
    u = u.astype(np.float32)
    d, rho = 0.3, 0.03
    while (u > WT_LEVEL).sum() * SPACING**3 / 1000 < 8:  # grown for months: a travelling front
        u = simulate(u, fractions, SPACING, d, rho, 10)
    scans = [(0.0, _labels(u))]
    for day in (60.0, 120.0, 180.0):
        u = simulate(u, fractions, SPACING, d, rho, 60)
        scans.append((day, _labels(u)))
    return fractions, scans, d, rho


def test_the_fit_recovers_the_parameters_of_a_grown_series(series):
    fractions, scans, d, rho = series
    fit = fit_growth(fractions, scans[:3], SPACING)
    assert fit.speed_mm_per_day == pytest.approx(2 * np.sqrt(d * rho), rel=0.10)
    assert fit.d_white == pytest.approx(d, rel=0.25) and fit.rho == pytest.approx(rho, rel=0.25)
    assert min(fit.dice) > 0.85


def test_the_forecast_extent_is_where_the_tumour_then_is(series):
    fractions, scans, _, _ = series
    fit = fit_growth(fractions, scans[:3], SPACING)
    extent, density = forecast_extent(fractions, scans[2][1], SPACING, fit, 60.0)
    truth = scans[3][1] > 0
    dice = 2 * (extent & truth).sum() / (extent.sum() + truth.sum())
    no_growth = 2 * ((scans[2][1] > 0) & truth).sum() / ((scans[2][1] > 0).sum() + truth.sum())
    assert dice > 0.9 and dice > no_growth + 0.2
    assert density.max() <= 1 and np.all(density[fractions.sum(0) < 0.5] == 0)
