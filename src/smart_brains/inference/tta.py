"""Test-time augmentation by mirroring (the mirrors run batched with each window:
``sliding_window.blended_logits``), and the mean and spread over ensemble x TTA members."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import combinations

import numpy as np

# mode -> spatial axes (0 = X, 1 = Y, 2 = Z) to mirror for each TTA pass. 'none': the image as
# it is; '3': as it is and mirrored along each axis alone (4 passes); '8': every combination of
# the three mirrors (8 passes, nnU-Net's mirroring)
FLIP_SETS: dict[str, tuple[tuple[int, ...], ...]] = {
    "none": ((),),
    "3": ((), (0,), (1,), (2,)),
    "8": tuple(c for k in range(4) for c in combinations(range(3), k)),
}
TTA_MODES = tuple(FLIP_SETS)


def flip_sets(mode: str) -> list[tuple[int, ...]]:
    """The mirror axes of each pass of TTA ``mode`` (``FLIP_SETS``)."""
    if mode not in FLIP_SETS:
        raise ValueError(f"TTA mode must be one of {TTA_MODES}, got {mode!r}")
    return list(FLIP_SETS[mode])


def mean_and_spread(members: Iterable[np.ndarray]) -> tuple[np.ndarray, np.ndarray, int]:
    """Voxel-wise mean and standard deviation of equally shaped arrays, one pass (Welford),
    holding three arrays at a time. Returns (mean, std, count); std is 0 for one member, whose
    array is returned as the mean as it is (no copy)."""
    first = mean = m2 = None
    count = 0
    for x in members:
        x = np.asarray(x, np.float32)
        count += 1
        if count == 1:
            first = x
            continue
        if count == 2:  # the first member is copied only now, before it is updated
            mean, m2 = first.copy(), np.zeros_like(first)
        delta = x - mean
        mean += delta / count
        m2 += delta * (x - mean)
    if count == 0:
        raise ValueError("no members to average")
    if count == 1:
        return first, np.zeros_like(first), 1
    return mean, np.sqrt(m2 / count), count
