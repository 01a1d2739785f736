"""Lesions keep their id over time; vanishing and new lesions; targets chosen at baseline."""

import numpy as np

from smart_brains.longitudinal.lesions import measure_lesions
from smart_brains.longitudinal.tracking import new_measurable, targets, track


def blob(shape, centre, radius):
    grid = np.stack(np.meshgrid(*[np.arange(n) for n in shape], indexing="ij"), -1)
    return np.linalg.norm(grid - np.asarray(centre), axis=-1) <= radius


def scans(*masks):
    return [measure_lesions(mask, np.eye(4)) for mask in masks]


def test_lesions_are_followed_through_a_gap_and_new_ones_get_new_ids():
    shape = (80, 80, 40)
    a, b, c = (
        blob(shape, (20, 20, 20), 8),
        blob(shape, (60, 60, 20), 6),
        blob(shape, (20, 60, 20), 7),
    )
    series = scans(a | b, a, a | b | c, np.zeros(shape, bool))
    ids = track(series)
    first = {tuple(np.round(les.centroid_mm)): n for les, n in zip(series[0], ids[0])}
    again = {tuple(np.round(les.centroid_mm)): n for les, n in zip(series[2], ids[2])}
    assert again[(20.0, 20.0, 20.0)] == first[(20.0, 20.0, 20.0)]
    assert again[(60.0, 60.0, 20.0)] == first[(60.0, 60.0, 20.0)]  # vanished at 1, same id
    assert again[(20.0, 60.0, 20.0)] == "L3"
    assert ids[3] == []
    assert new_measurable(series, ids) == [False, False, True, False]


def test_targets_are_the_largest_measurable_baseline_lesions():
    shape = (90, 90, 40)
    masks = [blob(shape, (15 + 30 * k, 45, 20), r) for k, r in enumerate((6, 9, 12))]
    tiny = blob(shape, (45, 10, 20), 2)  # not measurable
    baseline = scans(masks[0] | masks[1] | masks[2] | tiny)[0]
    ids = track([baseline])[0]
    chosen = targets(baseline, ids, max_targets=2)
    products = {n: les.product_mm2 for les, n in zip(baseline, ids)}
    assert sorted(products[n] for n in chosen) == sorted(products.values())[-2:]
    assert min(products[n] for n in chosen) > 300  # the 18 and 24 mm lesions, not the 12 mm


def test_a_large_but_thin_lesion_is_never_a_target():
    """RANO targets are measurable (both diameters >= 10 mm): a 50 x 7 mm sliver, whose product
    beats the 12 mm lesion's, stays out; the three measurable ones are chosen."""
    shape = (100, 100, 40)
    grid = np.stack(np.meshgrid(*[np.arange(n) for n in shape], indexing="ij"), -1)
    sliver = np.linalg.norm((grid - (50, 85, 20)) / (25, 3.5, 6), axis=-1) <= 1
    masks = [blob(shape, (15 + 30 * k, 45, 20), r) for k, r in enumerate((6, 9, 12))]
    baseline = scans(masks[0] | masks[1] | masks[2] | sliver)[0]
    ids = track([baseline])[0]
    by_id = dict(zip(ids, baseline))
    thin = next(n for n, les in by_id.items() if not les.measurable)
    assert by_id[thin].product_mm2 > min(les.product_mm2 for les in baseline if les.measurable)
    chosen = targets(baseline, ids, max_targets=3)
    assert thin not in chosen and len(chosen) == 3
    assert all(by_id[n].measurable for n in chosen)
