"""Lesion-wise Dice and HD95 as the BraTS 2023+ challenges rank them (pure functions).

Our reading of the official definition (rachitsaluja/BraTS-2023-Metrics, BraTS-GLI settings):

1. Reference lesions are the 26-connected components of the reference mask, grouped when they
   touch after the reference is dilated ``dilation`` times (3) with scipy's
   ``generate_binary_structure(3, 2)``, the element the official code uses; small satellites
   near a lesion thus count as part of it.
2. For each reference lesion, the predicted components (26-connected) that overlap the lesion
   dilated the same way are its matches. Its Dice and HD95 are those of the lesion against the
   union of its matches; a lesion with no match scores Dice 0 and HD95 ``PENALTY_HD95_MM``.
3. Reference lesions of ``min_volume_mm3`` (50) or less are dropped from the score (whether
   matched or not); predicted components that match no reference lesion are false positives.
4. Score = sum over kept lesions / (kept lesions + false positives), a false positive adding
   Dice 0 and HD95 374 mm. With neither kept lesions nor false positives: Dice 1, HD95 0.

Each lesion's HD95 is the function passed as ``hd`` (``challenges.py`` picks it per challenge:
the 2023+ scripts use DeepMind's area-weighted ``surface.robust_hd95``). ``ref_lesions`` and
``pred_lesions`` let a challenge group lesions its own way (BraTS 2024 merges lesions of one
tissue that touch the same lesion of another, and groups and prunes predicted components).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from smart_brains.evaluation.metrics import dice, hd95

PENALTY_HD95_MM = 374.0
CONNECTIVITY_26 = ndimage.generate_binary_structure(3, 3)
DILATION_ELEMENT = ndimage.generate_binary_structure(3, 2)


@dataclass(frozen=True)
class LesionScores:
    """Lesion-wise scores of one region of one case."""

    dice: float
    hd95_mm: float
    tp: int  # kept reference lesions with at least one matching predicted component
    fn: int  # kept reference lesions with none
    fp: int  # predicted components that match no reference lesion


def reference_lesions(ref: np.ndarray, dilation: int = 3) -> tuple[np.ndarray, int]:
    """(X, Y, Z) int32 lesion ids (0 = background) of boolean ``ref``, and how many.

    Components closer than the dilation share one id; voxels keep their reference extent.
    """
    ref = np.asarray(ref, bool)
    if dilation > 0:
        grown = ndimage.binary_dilation(ref, DILATION_ELEMENT, iterations=dilation)
    else:
        grown = ref
    groups, n = ndimage.label(grown, CONNECTIVITY_26)
    return np.where(ref, groups, 0).astype(np.int32), int(n)


def lesion_wise(
    pred: np.ndarray,
    ref: np.ndarray,
    spacing_mm: tuple[float, float, float],
    dilation: int = 3,
    min_volume_mm3: float = 50.0,
    hd: Callable[[np.ndarray, np.ndarray, tuple[float, float, float]], float] | None = hd95,
    ref_lesions: np.ndarray | None = None,
    pred_lesions: np.ndarray | None = None,
) -> LesionScores:
    """Lesion-wise Dice and HD95 (mm) of boolean masks ``pred`` and ``ref`` (X, Y, Z).

    ``hd``: the per-lesion HD95 (None: skip it, report NaN; for tuning on Dice). An infinite
    distance (a lesion with no match) counts as ``PENALTY_HD95_MM``. ``ref_lesions`` /
    ``pred_lesions``: int lesion ids (0 = background) to use instead of ``reference_lesions``
    and the 26-connected components of ``pred``.
    """
    pred, ref = np.asarray(pred, bool), np.asarray(ref, bool)
    voxel_mm3 = float(np.prod(spacing_mm))
    lesions = reference_lesions(ref, dilation)[0] if ref_lesions is None else ref_lesions
    if pred_lesions is None:
        components = ndimage.label(pred, CONNECTIVITY_26)[0]
    else:
        components = pred_lesions
    matched_any: set[int] = set()
    dices, hds, tp, fn = [], [], 0, 0
    boxes = ndimage.find_objects(lesions)
    for lesion_id, box in enumerate(boxes, start=1):
        if box is None:
            continue
        lesion = lesions == lesion_id
        # the lesion dilated as in the official code, computed in a box grown by the dilation
        grown_box = tuple(
            slice(max(s.start - dilation, 0), min(s.stop + dilation, n))
            for s, n in zip(box, ref.shape)
        )
        local = ndimage.binary_dilation(
            lesion[grown_box], DILATION_ELEMENT, iterations=dilation
        ) if dilation > 0 else lesion[grown_box]  # fmt: skip
        matches = np.unique(components[grown_box][local])
        matches = matches[matches != 0]
        matched_any.update(int(m) for m in matches)
        if lesion.sum() * voxel_mm3 <= min_volume_mm3:
            continue
        if len(matches) == 0:
            fn += 1
            dices.append(0.0)
            hds.append(PENALTY_HD95_MM)
            continue
        tp += 1
        matched = np.isin(components, matches)
        dices.append(dice(matched, lesion))
        hds.append(_finite(hd(matched, lesion, spacing_mm)) if hd else np.nan)
    predicted = np.unique(components)
    fp = int(np.count_nonzero(predicted)) - len(matched_any)
    denominator = len(dices) + fp
    if denominator == 0:
        return LesionScores(1.0, 0.0, 0, 0, 0)
    return LesionScores(
        dice=float(sum(dices) / denominator),
        hd95_mm=float((sum(hds) + fp * PENALTY_HD95_MM) / denominator),
        tp=tp,
        fn=fn,
        fp=fp,
    )


def _finite(distance_mm: float) -> float:
    """The scripts' ``replace(np.inf, 374)``."""
    return float(distance_mm) if np.isfinite(distance_mm) else PENALTY_HD95_MM
