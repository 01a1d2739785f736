"""Tumour appearance per sub-region: the physically reliable orders always hold, regions are
drawn independently, painting puts each region at its level and leaves the rest alone, and
repainting a real tumour moves its regions while keeping its texture."""

import numpy as np
import pytest

from smart_brains.data.labels import ED, ET, NCR
from smart_brains.synth.appearance import (
    REGIONS,
    fixed_appearance,
    paint,
    random_appearance,
    repaint,
)
from smart_brains.synth.tumour import LesionMaps

T1, T1CE, T2, FLAIR = range(4)
OEDEMA, ENHANCING, NECROSIS, NON_ENHANCING = range(4)


def test_random_looks_keep_the_reliable_orders_and_vary_independently():
    rng = np.random.default_rng(0)
    csf = np.array([0.35, 0.35, 2.6, 0.4])
    looks = np.stack([random_appearance(rng, csf).levels for _ in range(500)])
    assert np.all(looks[:, ENHANCING, T1CE] >= 1.15)  # enhancing brighter than white matter
    assert np.all(looks[:, NECROSIS, T1CE] < looks[:, ENHANCING, T1CE])
    assert np.all(looks[:, NON_ENHANCING, T1CE] < looks[:, ENHANCING, T1CE])
    assert np.all(looks[:, OEDEMA, [T2, FLAIR]] >= 1.3)  # oedema bright on T2 and FLAIR
    necrosis_t1 = looks[:, NECROSIS, T1]
    assert necrosis_t1.min() < csf[T1] + 0.05 and necrosis_t1.max() > 0.95  # CSF- to WM-like
    # each region its own draw: oedema's FLAIR says nothing of the enhancing rim's
    assert abs(np.corrcoef(looks[:, OEDEMA, FLAIR], looks[:, ENHANCING, FLAIR])[0, 1]) < 0.15
    spread = looks.std(0)
    assert np.all(spread > 0.05)  # every region and modality varies


def _sphere_maps(shape=(40, 40, 40)):
    d = np.sqrt(((np.indices(shape) - 20) ** 2).sum(0))
    labels = np.zeros(shape, np.uint8)
    labels[d < 12] = ED
    labels[d < 8] = ET
    labels[d < 5] = NCR
    return LesionMaps(labels, labels == NCR, np.zeros(shape, np.float32))


def test_paint_puts_each_region_at_its_level_and_leaves_the_rest_alone():
    maps = _sphere_maps()
    host = np.full((4, 40, 40, 40), 100.0, np.float32)
    host[:, :2] = 0  # outside the brain
    white = np.array([100.0, 100.0, 100.0, 100.0], np.float32)
    look = random_appearance(np.random.default_rng(1), np.array([0.4, 0.4, 2.5, 0.4]))
    out = paint(host, white, maps, look, 2.0, np.random.default_rng(2))
    d = np.sqrt(((np.indices(maps.labels.shape) - 20) ** 2).sum(0))
    for r, (low, high) in enumerate(((9, 11), (6, 7), (0, 3.5))):  # region cores, off borders
        if REGIONS[r] == "oedema":
            continue  # oedema keeps part of the host's own signal
        inner = (d >= low) & (d < high)
        for c in range(4):
            assert np.median(out[c][inner]) == pytest.approx(look.levels[r, c] * 100, rel=0.15)
    far = d > 12 + 3 * look.edge_mm / 2.0 + 2
    assert np.array_equal(out[:, far], host[:, far])
    assert np.all(out[:, :2] == 0)


def test_the_fixed_look_is_the_template_table():
    a = fixed_appearance(np.random.default_rng(0)).levels
    b = fixed_appearance(np.random.default_rng(1)).levels
    assert np.allclose(a, b, rtol=0.13) and not np.array_equal(a, b)  # jitter of 6 % each


def test_repaint_moves_real_regions_and_keeps_their_texture():
    maps = _sphere_maps()
    rng = np.random.default_rng(3)
    images = rng.uniform(80, 120, (4, 40, 40, 40)).astype(np.float32)
    images[1][maps.labels == ET] *= 1.6
    white = np.full(4, 100.0, np.float32)
    look = random_appearance(rng, np.array([0.4, 0.4, 2.5, 0.4]))
    out = repaint(images, white, maps.labels, look, 2.0)
    d = np.sqrt(((np.indices(maps.labels.shape) - 20) ** 2).sum(0))
    inner = (d >= 6) & (d < 7)  # inside the enhancing shell, off its borders
    assert np.median(out[1][inner]) == pytest.approx(look.levels[ENHANCING, T1CE] * 100, rel=0.1)
    ratio = out[2][inner] / images[2][inner]
    assert ratio.std() / ratio.mean() < 0.02  # one scale in the region: its texture kept
