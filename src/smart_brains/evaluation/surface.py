"""Surface-element-weighted distances and the "robust" HD95 of the BraTS 2023+ scripts (pure
functions).

The official BraTS 2023 and 2024 lesion-wise scripts compute HD95 with DeepMind's
``surface_distance`` package (Nikolov et al. 2018), which differs from the pooled-voxel HD95 of
``metrics.hd95`` (the ``brats-evaluation`` package, MedPy) in three ways:

1. Surface points are the corners of the voxel grid (2x2x2 neighbourhoods, half a voxel off the
   voxel centres) whose eight voxels are neither all inside nor all outside the mask.
2. Each such point carries the area (mm^2) of the marching-cubes surface through its
   neighbourhood, so a percentile is a fraction of surface area, not of points.
3. HD95 is the area-weighted 95th percentile of each direction separately, then the larger of
   the two (not one percentile of the two directions pooled).

A mask with no surface has no distances; the HD95 is then infinite, which the BraTS scripts
report as ``PENALTY_HD95_MM`` (374). The per-configuration areas come from the marching-cubes
normals table that MONAI ships (``monai.metrics.utils``, itself from DeepMind's package); this
module computes the areas from it in float64 and does everything else itself.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy import ndimage

#: Bit of each voxel of a 2x2x2 neighbourhood in the neighbourhood code, indexed [dx, dy, dz]
#: with d = 0 for the voxel before the corner point and 1 for the one after it.
CORNER_BITS = np.array([[[128, 64], [32, 16]], [[8, 4], [2, 1]]], dtype=np.int32)


@lru_cache(maxsize=8)
def surfel_area_table(spacing_mm: tuple[float, float, float]) -> np.ndarray:
    """(256,) float64: the marching-cubes surface area (mm^2) of each neighbourhood code."""
    from monai.metrics.utils import _get_neighbour_code_to_normals_table

    normals = np.asarray(_get_neighbour_code_to_normals_table().cpu().numpy(), np.float64)
    sx, sy, sz = (float(s) for s in spacing_mm)
    scale = np.array([sy * sz, sx * sz, sx * sy])  # area element of each normal component
    return np.linalg.norm(normals * scale, axis=-1).sum(axis=-1)


def neighbourhood_codes(mask: np.ndarray) -> np.ndarray:
    """Codes 0..255 of every grid corner of boolean ``mask`` (X, Y, Z): shape (X+1, Y+1, Z+1).
    Corner (i, j, k) sits between voxels i-1 and i on each axis."""
    padded = np.pad(np.asarray(mask, bool), 1).astype(np.int32)
    shape = tuple(n + 1 for n in mask.shape)
    codes = np.zeros(shape, np.int32)
    for dx in (0, 1):
        for dy in (0, 1):
            for dz in (0, 1):
                window = padded[dx : dx + shape[0], dy : dy + shape[1], dz : dz + shape[2]]
                codes += CORNER_BITS[dx, dy, dz] * window
    return codes


def surface_distances(
    a: np.ndarray, b: np.ndarray, spacing_mm: tuple[float, float, float]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Distances (mm) from ``a``'s surface points to ``b``'s surface and back, with areas.

    Returns (a_to_b, a_areas, b_to_a, b_areas), each direction sorted by distance (then area).
    A mask without surface gives empty arrays for its direction and ``inf`` distances for the
    other. Work is done in the bounding box of ``a | b``: distances do not depend on it.
    """
    a, b = np.asarray(a, bool), np.asarray(b, bool)
    union = a | b
    if not union.any():
        empty = np.zeros(0)
        return empty, empty, empty, empty
    idx = np.argwhere(union)
    box = tuple(slice(lo, hi + 1) for lo, hi in zip(idx.min(0), idx.max(0)))
    areas = surfel_area_table(tuple(float(s) for s in spacing_mm))
    codes_a, codes_b = neighbourhood_codes(a[box]), neighbourhood_codes(b[box])
    border_a = (codes_a != 0) & (codes_a != 255)
    border_b = (codes_b != 0) & (codes_b != 255)
    to_a = _distance_to(border_a, spacing_mm)
    to_b = _distance_to(border_b, spacing_mm)
    a_to_b, a_areas = _sorted(to_b[border_a], areas[codes_a[border_a]])
    b_to_a, b_areas = _sorted(to_a[border_b], areas[codes_b[border_b]])
    return a_to_b, a_areas, b_to_a, b_areas


def _distance_to(border: np.ndarray, spacing_mm) -> np.ndarray:
    if not border.any():
        return np.full(border.shape, np.inf)
    return ndimage.distance_transform_edt(~border, sampling=spacing_mm)


def _sorted(distances: np.ndarray, areas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    order = np.lexsort((areas, distances))
    return distances[order], areas[order]


def area_percentile(distances: np.ndarray, areas: np.ndarray, percent: float) -> float:
    """The distance at which ``percent`` % of the surface area (sorted arrays) is reached:
    the first point whose cumulative area fraction is at least ``percent`` / 100; inf when
    there is no surface."""
    if len(distances) == 0:
        return float("inf")
    cumulative = np.cumsum(areas) / np.sum(areas)
    index = int(np.searchsorted(cumulative, percent / 100.0))
    return float(distances[min(index, len(distances) - 1)])


def robust_hd95(pred: np.ndarray, ref: np.ndarray, spacing_mm: tuple[float, float, float]) -> float:
    """Area-weighted HD95 (mm) of boolean masks as the BraTS 2023+ scripts compute it: the
    larger of the two directed 95th percentiles; 0 when both are empty, inf when one is."""
    pred, ref = np.asarray(pred, bool), np.asarray(ref, bool)
    if not pred.any() and not ref.any():
        return 0.0
    ref_to_pred, ref_areas, pred_to_ref, pred_areas = surface_distances(ref, pred, spacing_mm)
    return max(
        area_percentile(ref_to_pred, ref_areas, 95.0),
        area_percentile(pred_to_ref, pred_areas, 95.0),
    )
