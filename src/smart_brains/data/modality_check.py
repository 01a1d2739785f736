"""Probable swaps of modalities: T1 given as T1ce (or the reverse), T2 given as FLAIR, and files
moved between the T1- and the T2-weighted ones.

The mistakes users of segmentation tools report most (nnU-Net #709: all-black masks from a
wrong channel order): a network trained on one channel order segments nonsense when two
channels trade places. No tool we know checks for it. Each volume is summarised by intensity
statistics inside its brain (quantiles and tail shares relative to the brain's median, robust
to scanner scale); within each pair that gets confused, a linear model of the *difference* of
the two summaries says which order is the right one (no intercept: swapping the pair flips the
sign, so the model cannot prefer an order by itself). T1ce is T1 with enhancing vessels and
tumour: a heavier bright tail. FLAIR is T2 with CSF suppressed: a dark tail where T2 has a
bright one. T1 against T2 and T1ce against FLAIR see files moved across the groups (CSF dark
on one, bright on the other). ``benchmarks/modality_check.py`` fits the weights (``WEIGHTS``) on generated cases
and the real source brains and measures them on real scans the fit never saw.
"""

from __future__ import annotations

import numpy as np

QUANTILES = (1, 5, 10, 25, 75, 90, 95, 99, 99.9)
# the pairs users confuse (same weighting, one with contrast or CSF suppression), then the
# T1-weighted against the T2-weighted of each: together they see files moved across groups
PAIRS = (("t1", "t1ce"), ("t2", "flair"), ("t1", "t2"), ("t1ce", "flair"))
# Fitted by benchmarks/modality_check.py (logistic regression, no intercept, on the feature
# difference first-named minus second-named of each pair); see benchmarks/RESULTS.md.
WEIGHTS: dict[tuple[str, str], tuple[float, ...]] = {
    ("t1", "t1ce"): (0.1116, -0.6738, -2.3848, -0.8798, 0.2657, 2.018, 3.1679, 2.4233, -7.4422,
                     0.1002, -0.1387),
    ("t2", "flair"): (1.6991, -2.9796, 6.2838, 1.878, 1.7554, 2.932, 0.5144, -0.1634, 1.7352,
                      2.2333, -4.0415),
    ("t1", "t2"): (-1.8945, -0.9322, -3.4723, -1.5188, -0.3575, -0.9895, -1.354, -2.5404, -4.4639,
                   -0.625, 1.3548),
    ("t1ce", "flair"): (1.3119, -1.9826, 4.4056, -3.6671, 2.9872, 1.6325, -2.3434, -4.0787,
                        3.0463, 1.2056, -1.338),
}  # fmt: skip
SWAP_PROBABILITY = 0.9  # warn above it


def summary(image: np.ndarray) -> np.ndarray:
    """Intensity statistics of one volume (X, Y, Z) inside its brain (non-zero voxels):
    log quantiles over the median, the shares above 1.5x and below 0.5x the median."""
    values = image[image > 0][::3].astype(np.float64)  # a third of the brain is plenty
    if values.size < 100:
        return np.zeros(len(QUANTILES) + 2)
    median = np.median(values)
    q = np.percentile(values, QUANTILES) / median
    return np.concatenate([
        np.log(np.maximum(q, 1e-3)),
        [np.mean(values > 1.5 * median), np.mean(values < 0.5 * median)],
    ])  # fmt: skip


def swap_probability(first: np.ndarray, second: np.ndarray, weights) -> float:
    """Probability that the volumes given as a pair's first and second modality are in fact the
    other way round (summaries from ``summary``)."""
    score = float(np.dot(np.asarray(weights), first - second))
    return float(1.0 / (1.0 + np.exp(score)))  # score > 0: the given order


def probable_swaps(images: dict[str, np.ndarray]) -> list[tuple[str, str, float]]:
    """(first, second, probability) of each pair whose given order is probably swapped."""
    found = []
    for pair in PAIRS:
        if pair not in WEIGHTS or not all(m in images for m in pair):
            continue
        p = swap_probability(summary(images[pair[0]]), summary(images[pair[1]]), WEIGHTS[pair])
        if p > SWAP_PROBABILITY:
            found.append((*pair, p))
    return found
