"""MR contrasts for synthetic cases: tissue signal per modality and vessels (the scanner: sites.py).

Relative signal levels follow the usual appearance of gliomas (white matter = 0.85 on T1):
enhancing tumour is bright on T1ce, oedema bright on T2 and FLAIR, necrosis dark on T1 and bright
on T2 like CSF, and CSF is suppressed on FLAIR. Confounders are deliberate, so that intensity
alone is not enough and a model needs context:

- vessels and choroid plexus enhance on T1ce with the same signal as enhancing tumour;
- CSF is as dark as necrosis on T1 and as bright on T2;
- grey matter on FLAIR overlaps oedema once bias field and noise are added;
- every case has its own bias field, noise and intensity scale, and every site its own contrast
  curve and slice thickness (``sites.py``).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from smart_brains.data.labels import ED, ET, NCR
from smart_brains.synth.anatomy import smooth_field
from smart_brains.synth.tumour import LesionMaps

TISSUES = ("csf", "gm", "wm", "oedema", "enhancing", "necrosis", "non_enhancing", "vessel")
CONTRAST: dict[str, tuple[float, ...]] = {
    #        csf   gm    wm    oedema enh   necr  non-enh vessel
    "t1":    (0.30, 0.62, 0.85, 0.55, 0.62, 0.32, 0.50, 0.60),
    "t1ce":  (0.30, 0.64, 0.85, 0.57, 1.35, 0.32, 0.52, 1.38),
    "t2":    (1.70, 0.95, 0.62, 1.50, 1.05, 1.60, 1.20, 1.02),
    "flair": (0.28, 1.00, 0.72, 1.42, 1.05, 0.45, 1.15, 1.02),
}  # fmt: skip


def vessel_mask(
    fractions: np.ndarray, brain: np.ndarray, spacing_mm: float, rng: np.random.Generator
) -> np.ndarray:
    """Choroid plexus in the ventricles plus tortuous vessels in sulci, (X, Y, Z) bool."""
    csf = fractions[0]
    depth_mm = ndimage.distance_transform_edt(brain) * spacing_mm
    ventricles = (csf > 0.5) & (depth_mm > 18)
    choroid = ventricles & (smooth_field(brain.shape, rng, 10, 1) > 0.6)
    vessels = np.zeros(brain.shape, dtype=bool)
    starts = np.argwhere((csf > 0.3) & brain & (depth_mm > 4))
    steps = int(60 / spacing_mm)
    for _ in range(int(rng.integers(15, 30))):
        if len(starts) == 0:
            break
        pos = starts[rng.integers(len(starts))].astype(float)
        direction = rng.standard_normal(3)
        for _ in range(steps):
            direction = direction / np.linalg.norm(direction) + 0.35 * rng.standard_normal(3)
            pos = pos + direction / np.linalg.norm(direction)
            idx = tuple(np.clip(pos.round().astype(int), 0, np.array(brain.shape) - 1))
            if not brain[idx]:
                break
            vessels[idx] = True
    if spacing_mm < 1.5:
        vessels = ndimage.binary_dilation(vessels)
    return (choroid | vessels) & brain


def tissue_signal(
    modality: str,
    fractions: np.ndarray,
    vessels: np.ndarray,
    rng: np.random.Generator,
    gain: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Healthy signal (X, Y, Z) float32 of one modality and its tissue levels
    (len(``TISSUES``),), jittered as ``render_modality`` jitters them: a tumour is painted on
    it afterwards (``appearance.paint``)."""
    level = np.asarray(CONTRAST[modality]) * rng.uniform(0.94, 1.06, size=len(TISSUES))
    if gain is not None:
        level = level * gain
    signal = fractions[0] * level[0] + fractions[1] * level[1] + fractions[2] * level[2]
    return np.where(vessels, level[7], signal).astype(np.float32), level


def render_modality(
    modality: str,
    fractions: np.ndarray,
    lesions: LesionMaps,
    vessels: np.ndarray,
    brain: np.ndarray,
    rng: np.random.Generator,
    gain: np.ndarray | None = None,
) -> np.ndarray:
    """Signal (X, Y, Z) float32 for one modality, before noise and scaling (WM ~ 0.85).

    ``gain``: (len(TISSUES),) the site's factors on each tissue's level (``Site.tissue_gain``);
    every case adds its own +-6 %."""
    level = np.asarray(CONTRAST[modality]) * rng.uniform(0.94, 1.06, size=len(TISSUES))
    if gain is not None:
        level = level * gain
    csf, gm, wm, oedema, enhancing, necrosis, non_enh, vessel = level
    signal = fractions[0] * csf + fractions[1] * gm + fractions[2] * wm
    labels = lesions.labels
    signal = np.where(labels == ED, 0.15 * signal + 0.85 * oedema, signal)
    signal = np.where(labels == NCR, np.where(lesions.necrosis, necrosis, non_enh), signal)
    signal = np.where(labels == ET, enhancing, signal)
    signal = np.where(vessels & (labels == 0), vessel, signal)
    signal = signal * (1.0 + 0.06 * lesions.texture)
    return ndimage.gaussian_filter(signal.astype(np.float32), 0.5) * brain
