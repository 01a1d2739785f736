"""A quality flag for every prediction, from what the prediction itself shows.

A model trained on generated data must say when it is likely wrong. Each case gets numbers
derived from its own probabilities (no reference needed) and ``flag`` = ``ok`` or ``review``:

- ``uncertain_ratio``: voxels whose whole-tumour probability is between 0.2 and 0.8, per voxel
  predicted as tumour (a confident segmentation has a thin band of doubt at its border);
- ``wt_confidence``: mean whole-tumour probability inside the predicted whole tumour;
- ``member_spread``: mean standard deviation over TTA / ensemble members inside it (0 with one);
- ``wt_cm3`` and ``largest_share`` (the largest component's share of the whole tumour): a
  glioma is one mass of a few to a few hundred cm^3, not specks.

``review`` when any of ``LIMITS`` is crossed; ``risk`` (a 0-1 score, higher is worse) orders
the cases for a reader and is what the quality benchmark's ROC AUC is computed on.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from smart_brains.data.labels import REGION_LABELS

QUALITY_COLUMNS = (
    "wt_cm3", "uncertain_ratio", "wt_confidence", "member_spread", "largest_share", "risk",
    "flag", "reasons",
)  # fmt: skip
LIMITS = {
    "uncertain_ratio": 0.6,  # more doubtful voxels than 60 % of the tumour's
    "wt_confidence": 0.75,
    "member_spread": 0.15,
    "wt_cm3_min": 0.5,
    "wt_cm3_max": 400.0,
    "largest_share": 0.6,
}


def quality_measures(
    p_wt: np.ndarray,
    spread_wt: np.ndarray,
    labels: np.ndarray,
    spacing_mm: Sequence[float],
) -> dict[str, float | str]:
    """The quality numbers, ``risk`` and ``flag`` of one case: ``p_wt`` (the output's
    ``whole_tumour``) and ``spread_wt`` (the members' spread of channel 0), (x, y, z) on the
    grid of the internal ``labels`` (x, y, z), voxel size ``spacing_mm``."""
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
    }
    reasons = [
        name
        for name, bad in (
            ("uncertain_ratio", measures["uncertain_ratio"] > LIMITS["uncertain_ratio"]),
            ("wt_confidence", confidence < LIMITS["wt_confidence"]),
            ("member_spread", spread > LIMITS["member_spread"]),
            ("wt_cm3", not LIMITS["wt_cm3_min"] <= wt_cm3 <= LIMITS["wt_cm3_max"]),
            ("largest_share", largest < LIMITS["largest_share"]),
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
