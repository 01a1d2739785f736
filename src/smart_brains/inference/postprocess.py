"""BraTS-style post-processing of label maps (pure functions). Probabilities become labels in
``models/outputs.py`` (``SegmentationOutput.decode``: nesting, then thresholds).

Small components, per region, as the BraTS 2023 winners and nnU-Net do it: a 26-connected
component smaller than the region's threshold is removed, in the order WT, TC, ET:

- WT component -> background (a stray island of "tumour");
- TC component -> oedema (it stays tumour, but not core);
- ET component -> NCR/NET (it stays core, but not enhancing; the BraTS 2021 winner used
  200 voxels).

Why it pays: the 2023+ challenges rank on lesion-wise scores, where every predicted island that
matches no reference lesion counts as a lesion with Dice 0 and HD95 374 mm; one speck can halve
a case's WT score. ``tune`` picks the thresholds on validation or out-of-fold predictions, for
the metric the chosen challenge ranks on (``challenges.Challenge.ranking``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from smart_brains.data.labels import BACKGROUND, ED, NCR, REGION_LABELS, REGIONS
from smart_brains.errors import SmartBrainsError

DEMOTED_TO = {"WT": BACKGROUND, "TC": ED, "ET": NCR}
CANDIDATE_MIN_VOXELS = (0, 10, 25, 50, 100, 200, 400, 800, 1600, 3200)


@dataclass(frozen=True)
class PostProcessing:
    """Minimum component sizes (voxels) of WT, TC and ET; 0 keeps every component."""

    min_voxels: tuple[int, int, int] = (0, 0, 0)

    def __post_init__(self) -> None:
        if len(self.min_voxels) != 3 or any(int(v) < 0 for v in self.min_voxels):
            raise ValueError(
                f"min_voxels must be three sizes >= 0 (WT, TC, ET), not {self.min_voxels}"
            )

    def apply(self, labels: np.ndarray) -> np.ndarray:
        """Internal labels (X, Y, Z) with small components demoted (a new array)."""
        out = np.array(labels, copy=True)
        for region, minimum in zip(REGIONS, self.min_voxels):
            if minimum <= 0:
                continue
            mask = np.isin(out, REGION_LABELS[region])
            if not mask.any():
                continue
            from scipy import ndimage  # here: importing it costs 0.2 s before the first case

            components, n = ndimage.label(mask, np.ones((3, 3, 3), bool))  # 26-connected
            sizes = np.bincount(components.ravel(), minlength=n + 1)
            small = np.flatnonzero(sizes < minimum)
            out[np.isin(components, small[small != 0])] = DEMOTED_TO[region]
        return out

    def scaled(self, factor: float) -> PostProcessing:
        """The same minimum volumes on a grid whose voxels are ``factor`` times smaller (sizes
        tuned at a run's spacing, applied on a case's own grid)."""
        return PostProcessing(tuple(int(round(v * factor)) for v in self.min_voxels))

    def describe(self) -> str:
        return ", ".join(f"{r} < {v}" for r, v in zip(REGIONS, self.min_voxels) if v) or "none"

    def to_dict(self) -> dict:
        return {"min_voxels": dict(zip(REGIONS, map(int, self.min_voxels)))}

    @classmethod
    def from_dict(cls, saved: dict) -> PostProcessing:
        """From ``to_dict``'s form, or an older ``{"min_et_voxels": N}``."""
        if "min_voxels" in saved:
            return cls(tuple(int(saved["min_voxels"][r]) for r in REGIONS))
        return cls((0, 0, int(saved.get("min_et_voxels", 0))))

    @classmethod
    def parse(cls, text: str) -> PostProcessing:
        """``"WT,TC,ET"`` sizes, e.g. ``"50,0,200"``."""
        try:
            values = tuple(int(v) for v in text.split(","))
            return cls(values)
        except ValueError:
            raise SmartBrainsError(
                f"--min-voxels takes three sizes WT,TC,ET in voxels (e.g. 50,0,200), not {text!r}"
            ) from None


def tune(
    cases: Sequence[tuple[np.ndarray, np.ndarray]],
    score,
    candidates: Sequence[int] = CANDIDATE_MIN_VOXELS,
) -> tuple[PostProcessing, dict[str, dict[int, float]]]:
    """Thresholds that maximise ``score`` over ``cases`` of (predicted, reference) internal
    labels, one region at a time in the order WT, TC, ET (each given the ones before), ties to
    the smallest. ``score(pred, ref) -> float`` is the challenge's ranking metric of one case.

    Returns (best, {region: {candidate: mean score}}).
    """
    chosen = [0, 0, 0]
    table: dict[str, dict[int, float]] = {}
    for i, region in enumerate(REGIONS):
        results = {}
        for candidate in candidates:
            trial = list(chosen)
            trial[i] = int(candidate)
            post = PostProcessing(tuple(trial))
            results[int(candidate)] = float(np.mean([score(post.apply(p), r) for p, r in cases]))
        chosen[i] = max(results, key=lambda c: (results[c], -c))
        table[region] = results
    return PostProcessing(tuple(chosen)), table
