"""Per-region segmentation metrics with the BraTS challenge definitions (pure functions).

- Dice = 2|P n R| / (|P| + |R|); 1 when both masks are empty (BraTS scores a correctly empty
  region as perfect), 0 when exactly one is empty.
- HD95: the 95th percentile of the pooled surface distances in both directions (P's surface to
  R's and R's surface to P's, as in the BraTS evaluation and MedPy's ``hd95``), in mm using the
  voxel spacing; 0 when both are empty, and ``EMPTY_HD95_MM`` (the diagonal of the BraTS field
  of view, 373.13 mm, the value the official BraTS 2021 evaluation reports) when one is.

- Sensitivity TP/(TP+FN) and specificity TN/(TN+FP), over voxels, as the BraTS 2023+ evaluation
  (after GaNDLF) computes them: sensitivity 1 when both masks are empty.

Surfaces are mask voxels with a 6-connected background neighbour.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

EMPTY_HD95_MM = 373.13


def dice(pred: np.ndarray, ref: np.ndarray) -> float:
    """Dice of two boolean masks of equal shape."""
    pred, ref = np.asarray(pred, bool), np.asarray(ref, bool)
    total = int(pred.sum()) + int(ref.sum())
    if total == 0:
        return 1.0
    return 2.0 * int(np.logical_and(pred, ref).sum()) / total


def _surface(mask: np.ndarray) -> np.ndarray:
    structure = ndimage.generate_binary_structure(3, 1)
    return mask & ~ndimage.binary_erosion(mask, structure=structure)


def surface_distances(
    pred: np.ndarray, ref: np.ndarray, spacing_mm: tuple[float, float, float]
) -> tuple[np.ndarray, np.ndarray]:
    """Distances (mm) from each surface voxel of ``pred`` to ``ref``'s surface, and back.

    Both masks must be non-empty. Work is done in the bounding box of their union.
    """
    union = pred | ref
    idx = np.argwhere(union)
    lo = np.maximum(idx.min(0) - 1, 0)
    hi = np.minimum(idx.max(0) + 2, union.shape)
    box = tuple(slice(a, b) for a, b in zip(lo, hi))
    p_surf, r_surf = _surface(pred[box]), _surface(ref[box])
    to_ref = ndimage.distance_transform_edt(~r_surf, sampling=spacing_mm)
    to_pred = ndimage.distance_transform_edt(~p_surf, sampling=spacing_mm)
    return to_ref[p_surf], to_pred[r_surf]


def hd95(pred: np.ndarray, ref: np.ndarray, spacing_mm: tuple[float, float, float]) -> float:
    """95th percentile Hausdorff distance (mm) of two boolean masks, BraTS conventions."""
    pred, ref = np.asarray(pred, bool), np.asarray(ref, bool)
    has_pred, has_ref = bool(pred.any()), bool(ref.any())
    if not has_pred and not has_ref:
        return 0.0
    if not has_pred or not has_ref:
        return EMPTY_HD95_MM
    forward, backward = surface_distances(pred, ref, spacing_mm)
    return float(np.percentile(np.concatenate([forward, backward]), 95))


def confusion(pred: np.ndarray, ref: np.ndarray) -> tuple[int, int, int, int]:
    """(TP, FP, FN, TN) voxel counts of two boolean masks."""
    pred, ref = np.asarray(pred, bool), np.asarray(ref, bool)
    tp = int(np.logical_and(pred, ref).sum())
    fp = int(pred.sum()) - tp
    fn = int(ref.sum()) - tp
    return tp, fp, fn, pred.size - tp - fp - fn


def sensitivity_specificity(
    pred: np.ndarray, ref: np.ndarray, background_outside: int = 0
) -> tuple[float, float]:
    """Voxel sensitivity and specificity of boolean masks (BraTS 2023+ conventions).

    Sensitivity is 1 when both masks are empty and 0 when only the reference is; specificity is
    1 when the reference covers every voxel (no negatives to get wrong).
    ``background_outside``: true negatives outside the arrays given (when they are a crop).
    """
    tp, fp, fn, tn = confusion(pred, ref)
    tn += background_outside
    sensitivity = tp / (tp + fn) if tp + fn else (1.0 if fp == 0 else 0.0)
    specificity = tn / (tn + fp) if tn + fp else 1.0
    return float(sensitivity), float(specificity)
