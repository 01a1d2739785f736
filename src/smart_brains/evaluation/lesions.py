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

One deliberate difference: each lesion's HD95 is our pooled-voxel HD95 (``metrics.hd95``, as
the BraTS package ``brats-evaluation`` and MedPy compute it); the 2023 script uses DeepMind's
surface-area-weighted percentile, which can differ by a fraction of a voxel.
"""

from __future__ import annotations

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
) -> LesionScores:
    """Lesion-wise Dice and HD95 (mm) of boolean masks ``pred`` and ``ref`` (X, Y, Z)."""
    pred, ref = np.asarray(pred, bool), np.asarray(ref, bool)
    voxel_mm3 = float(np.prod(spacing_mm))
    lesions, n_lesions = reference_lesions(ref, dilation)
    components, _ = ndimage.label(pred, CONNECTIVITY_26)
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
        hds.append(hd95(matched, lesion, spacing_mm))
    n_components = int(components.max())
    fp = n_components - len(matched_any)
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
