"""A quality flag for every prediction, from what the prediction itself shows.

A model trained on generated data must say when it is likely wrong. Each case gets numbers
derived from its own probabilities (no reference needed) and ``flag`` = ``ok`` or ``review``:

- ``uncertain_ratio``: voxels whose whole-tumour probability is between 0.2 and 0.8, per voxel
  predicted as tumour (a confident segmentation has a thin band of doubt at its border);
- ``wt_confidence``: mean whole-tumour probability inside the predicted whole tumour;
- ``member_spread``: mean standard deviation over TTA / ensemble members inside it (0 with one);
- ``wt_cm3`` and ``largest_share`` (the largest component's share of the whole tumour): a
  glioma is one mass of a few to a few hundred cm^3, not specks;
- ``flair_outside``: FLAIR-hyperintense tissue (robust z-score above 2 against the rest of the
  brain) connected to the predicted tumour but outside it, per unit of predicted volume: the
  mark of a confident under-segmentation (a large diffuse tumour found as a small one), which
  the prediction's own probabilities cannot show. NaN without a FLAIR.

``review`` when any of ``LIMITS`` is crossed, or when the input itself looks wrong (predict
also warns): two modalities swapped (``modality_swap``, ``data/modality_check.py``) or more
non-zero volume than a brain (``not_skull_stripped``, ``data/loading.py``), or voxels much
coarser than the model's (``coarse_grid``, ``grid_warnings``); ``risk`` (a 0-1 score, higher is worse) orders
the cases for a reader and is what the quality benchmark's ROC AUC is computed on.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from smart_brains.data.labels import REGION_LABELS

QUALITY_COLUMNS = (
    "wt_cm3", "uncertain_ratio", "wt_confidence", "member_spread", "largest_share",
    "flair_outside", "risk", "flag", "reasons",
)  # fmt: skip
LIMITS = {
    "uncertain_ratio": 0.6,  # more doubtful voxels than 60 % of the tumour's
    "wt_confidence": 0.75,
    "member_spread": 0.15,
    "wt_cm3_min": 0.5,
    "wt_cm3_max": 400.0,
    "largest_share": 0.6,
    "flair_outside": 0.3,  # chosen on generated cases of issue 25's ablation (benchmarks/RESULTS.md)
}


def flair_outside(flair: np.ndarray, tumour: np.ndarray, voxel_cm3: float) -> float:
    """cm^3 of FLAIR-hyperintense tissue connected to ``tumour`` (X, Y, Z bool) but outside it,
    per cm^3 of tumour (+1 cm^3: no division by nothing); ``flair`` (X, Y, Z) on the same grid,
    zero outside the brain. Hyperintense: robust z-score above 2 against the brain outside the
    tumour (median and MAD), the brain's 2-voxel rim left out, specks opened away."""
    from scipy import ndimage

    brain = ndimage.binary_erosion(flair > 0, iterations=2)
    rest = flair[brain & ~tumour]
    if rest.size < 100 or not tumour.any():
        return 0.0
    median = float(np.median(rest))
    spread = float(np.median(np.abs(rest - median))) * 1.4826 or 1.0
    hyper = ndimage.binary_opening(brain & ((flair - median) / spread > 2.0))
    components, _ = ndimage.label(hyper | tumour, np.ones((3, 3, 3), bool))
    touching = np.unique(components[tumour])
    outside = np.isin(components, touching[touching > 0]) & hyper & ~tumour
    return float(outside.sum() * voxel_cm3 / (tumour.sum() * voxel_cm3 + 1.0))


def quality_measures(
    p_wt: np.ndarray,
    spread_wt: np.ndarray,
    labels: np.ndarray,
    spacing_mm: Sequence[float],
    flair: np.ndarray | None = None,
) -> dict[str, float | str]:
    """The quality numbers, ``risk`` and ``flag`` of one case: ``p_wt`` (the output's
    ``whole_tumour``) and ``spread_wt`` (the members' spread of channel 0), (x, y, z) on the
    grid of the internal ``labels`` (x, y, z), voxel size ``spacing_mm``; ``flair`` (x, y, z)
    on that grid too, or None."""
    from scipy import ndimage

    tumour = np.isin(labels, REGION_LABELS["WT"])
    n = int(tumour.sum())
    wt_cm3 = n * float(np.prod(spacing_mm)) / 1000.0
    doubtful = int(((p_wt > 0.2) & (p_wt < 0.8)).sum())
    if n:
        components, count = ndimage.label(tumour, np.ones((3, 3, 3), bool))
        largest = np.bincount(components.ravel())[1:].max() / n
        confidence = float(p_wt[tumour].mean())
        spread = float(spread_wt[tumour].mean())
    else:
        largest, confidence, spread = 0.0, 0.0, 0.0
    measures = {
        "wt_cm3": round(wt_cm3, 3),
        "uncertain_ratio": round(doubtful / max(n, 1), 4),
        "wt_confidence": round(confidence, 4),
        "member_spread": round(spread, 4),
        "largest_share": round(float(largest), 4),
        "flair_outside": round(flair_outside(flair, tumour, float(np.prod(spacing_mm)) / 1000), 4)
        if flair is not None
        else float("nan"),
    }
    reasons = [
        name
        for name, bad in (
            ("uncertain_ratio", measures["uncertain_ratio"] > LIMITS["uncertain_ratio"]),
            ("wt_confidence", confidence < LIMITS["wt_confidence"]),
            ("member_spread", spread > LIMITS["member_spread"]),
            ("wt_cm3", not LIMITS["wt_cm3_min"] <= wt_cm3 <= LIMITS["wt_cm3_max"]),
            ("largest_share", largest < LIMITS["largest_share"]),
            ("flair_outside", measures["flair_outside"] > LIMITS["flair_outside"]),
        )
        if bad
    ]
    risk = min(1.0, measures["uncertain_ratio"]) * 0.5 + (1 - confidence) * 0.5
    return {
        **measures,
        "risk": round(float(risk), 4),
        "flag": "review" if reasons else "ok",
        "reasons": " ".join(reasons),
    }


COARSEST_MM = 3.0  # thicker voxels lose what BraTS labels (rims of 1-3 mm); BraTS input is 1 mm


def grid_warnings(spacing: Sequence[float], trained_mm: Sequence[float] | None) -> list[str]:
    """What a case's voxel size (mm, X, Y, Z) says against the model's (``trained_mm``, None:
    1 mm): a warning when any axis is coarser than ``COARSEST_MM`` and 1.5x the model's (thick
    clinical slices, a downsampled export), since the network never saw such a grid."""
    trained = max(trained_mm) if trained_mm else 1.0
    coarsest = max(float(s) for s in spacing)
    if coarsest <= max(COARSEST_MM, 1.5 * trained):
        return []
    shown = " x ".join(f"{float(s):g}" for s in spacing)
    return [f"voxels of {shown} mm, far coarser than the {trained:g} mm the model was trained at: "
            "thin rims and small lesions are lost, expect lower accuracy (BraTS input is 1 mm)"]  # fmt: skip
