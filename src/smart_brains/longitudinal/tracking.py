"""Lesions followed from scan to scan, and the target lesions RANO sums.

Lesions of successive time points are matched by the distance between their centroids in world
millimetres (the scans of one patient are co-registered, as BraTS's are): the closest pairs
first, a pair matched when its distance is under the two lesions' equivalent radii summed (at
least ``MIN_MATCH_MM``). A lesion matches the last position of any lesion seen before, so one
that vanishes and returns keeps its id; a lesion matching none gets a new id (``L1``, ``L2``...
in order of appearance).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from smart_brains.longitudinal.lesions import Lesion

MIN_MATCH_MM = 10.0
MAX_TARGETS = 3  # RANO 2.0: up to three target lesions


def _radius(lesion: Lesion) -> float:
    return float((3 * lesion.volume_mm3 / (4 * np.pi)) ** (1 / 3))


def track(scans: Sequence[Sequence[Lesion]]) -> list[list[str]]:
    """Lesion ids for every lesion of every scan (same order as ``scans``, in time order)."""
    last: dict[str, Lesion] = {}
    ids: list[list[str]] = []
    for lesions in scans:
        pairs = sorted(
            (float(np.linalg.norm(np.subtract(a.centroid_mm, b.centroid_mm))), i, key)
            for i, a in enumerate(lesions)
            for key, b in last.items()
        )
        assigned: dict[int, str] = {}
        for distance, i, key in pairs:
            if i in assigned or key in assigned.values():
                continue
            if distance <= max(MIN_MATCH_MM, _radius(lesions[i]) + _radius(last[key])):
                assigned[i] = key
        names = []
        for i, lesion in enumerate(lesions):
            name = assigned.get(i) or f"L{len(last) + 1}"
            last[name] = lesion
            names.append(name)
        ids.append(names)
    return ids


def targets(baseline: Sequence[Lesion], ids: Sequence[str], max_targets: int) -> list[str]:
    """Ids of the target lesions: the ``max_targets`` measurable baseline lesions of largest
    product (none when the baseline has no measurable lesion)."""
    measurable = [(les.product_mm2, name) for les, name in zip(baseline, ids) if les.measurable]
    return [name for _, name in sorted(measurable, reverse=True)[:max_targets]]


def new_measurable(scans: Sequence[Sequence[Lesion]], ids: Sequence[Sequence[str]]) -> list[bool]:
    """Per time point: whether a measurable lesion appears whose id no earlier scan had."""
    seen: set[str] = set()
    out = []
    for t, (lesions, names) in enumerate(zip(scans, ids)):
        fresh = any(lesion.measurable and n not in seen for lesion, n in zip(lesions, names))
        out.append(t > 0 and fresh)
        seen.update(names)
    return out
