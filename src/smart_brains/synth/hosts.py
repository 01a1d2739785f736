"""Real brains as hosts for grown tumours: the patient's tumour taken out, its tissue mapped.

A real source case (``transplant.Source``) has a tumour of its own. To host a new one, that
tumour and a margin around it (``MARGIN_MM``) are replaced by the mirror image of the other
hemisphere (brains are close to symmetric about the midline, and every source is in an atlas
space with the midline near the centre of its brain's bounding box); where the mirror is tumour
too (a tumour across the midline), the gap is filled from its surroundings by normalised
convolution. The seam is blended over a few mm. What remains is labelled healthy; the mass
effect of the removed tumour stays in the anatomy.

Tissue: the host's T1 on the common scale (``brains.to_common_scale``) unmixed into CSF, grey
and white matter (``anatomy.tissue_fractions``), as the template brains are.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from scipy import ndimage

from smart_brains.data.discovery import discover
from smart_brains.data.layouts import MODALITIES
from smart_brains.data.loading import load_case
from smart_brains.data.resample import resampled_affine, resize, shape_at, spacing_of
from smart_brains.errors import DataError
from smart_brains.synth.anatomy import tissue_fractions
from smart_brains.synth.brains import to_common_scale

MARGIN_MM = 4.0


@dataclass(frozen=True)
class Source:
    """One real case on the cohort's grid: images (4, X, Y, Z) float32 scaled so that the
    brain's 99th percentile is 1 per modality, internal labels (X, Y, Z) and the affine."""

    name: str
    images: np.ndarray
    labels: np.ndarray
    affine: np.ndarray

    @property
    def brain(self) -> np.ndarray:
        return np.any(self.images > 0, axis=0)


def load_source(folder: str | Path, spacing_mm: float) -> Source:
    """A case folder (four modalities and a ``seg``) as a ``Source`` at ``spacing_mm``."""
    cases = discover(folder)
    if len(cases) != 1 or cases[0].seg is None:
        raise DataError(
            f"{folder}: a source must be one case folder with four modalities and a *_seg file"
        )
    loaded = load_case(cases[0], MODALITIES)
    spacing = spacing_of(loaded.affine)
    shape = shape_at(loaded.image.shape[1:], spacing, (spacing_mm,) * 3)
    images = resize(loaded.image.astype(np.float32), shape)
    labels = resize(loaded.seg, shape, labels=True)
    brain = np.any(images > 0, axis=0)
    for c in range(len(images)):
        top = float(np.percentile(images[c][brain], 99)) or 1.0
        images[c] = np.clip(images[c] / top, 0, None) * brain
    affine = resampled_affine(loaded.affine, loaded.image.shape[1:], shape)
    return Source(cases[0].case_id, images, labels, affine)


def _mirror_index(affine: np.ndarray, brain: np.ndarray) -> tuple[int, np.ndarray]:
    """(axis, index map) of the left-right mirror about the brain's bounding-box centre."""
    axis = int(np.argmax(np.abs(affine[0, :3])))  # the voxel axis along world x
    idx = np.argwhere(brain)[:, axis]
    centre = (idx.min() + idx.max()) / 2
    n = brain.shape[axis]
    return axis, np.clip(np.round(2 * centre - np.arange(n)).astype(int), 0, n - 1)


def _fill(images: np.ndarray, known: np.ndarray, gap: np.ndarray) -> np.ndarray:
    """Values for ``gap`` voxels from ``known`` ones nearby (normalised Gaussian convolution,
    widening until every gap voxel has support)."""
    out = images.copy()
    todo = gap.copy()
    for sigma in (2, 4, 8, 16, 32):
        weight = ndimage.gaussian_filter(known.astype(np.float32), sigma)
        ok = todo & (weight > 1e-3)
        for c in range(len(images)):
            value = ndimage.gaussian_filter(images[c] * known, sigma)
            out[c][ok] = value[ok] / weight[ok]
        todo &= ~ok
        if not todo.any():
            break
    return out


def healthy(source: Source) -> Source:
    """``source`` with its tumour replaced by mirrored healthy tissue; labels all 0."""
    brain = source.brain
    tumour = source.labels > 0
    if not tumour.any():
        return source
    spacing = float(np.mean(np.abs(np.linalg.eigvals(source.affine[:3, :3]))))
    margin = max(1, int(round(MARGIN_MM / spacing)))
    region = ndimage.binary_dilation(tumour, iterations=margin) & brain
    axis, index = _mirror_index(source.affine, brain)
    mirrored = np.take(source.images, index, axis=axis + 1)
    usable = region & np.take(brain & ~region, index, axis=axis)
    filled = source.images.copy()
    filled[:, usable] = mirrored[:, usable]
    filled = _fill(filled, brain & ~(region & ~usable), region & ~usable)
    weight = ndimage.gaussian_filter(region.astype(np.float32), 1.0)
    weight = np.maximum(weight, region)
    images = (source.images * (1 - weight) + filled * weight) * brain
    return replace(source, images=images.astype(np.float32), labels=np.zeros_like(source.labels))


def tissue(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(fractions (3, X, Y, Z) CSF/grey/white, brain (X, Y, Z)) of a healthy host's images
    (4, X, Y, Z), from its T1."""
    brain = np.any(images > 0, axis=0)
    return tissue_fractions(to_common_scale(images[0], brain)) * brain, brain


def levels(images: np.ndarray, fractions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(white, csf): (4,) median signal per modality in nearly pure white matter and CSF
    (CSF at least 5 voxels inside the brain: ventricles, not the brain's rim)."""
    brain = fractions.sum(0) > 0
    deep = ndimage.distance_transform_edt(brain) > 5
    white_mask = fractions[2] > 0.9
    csf_mask = (fractions[0] > 0.9) & deep
    if not csf_mask.any():
        csf_mask = fractions[0] > 0.5
    white = np.array([np.median(x[white_mask]) for x in images], np.float32)
    csf = np.array([np.median(x[csf_mask]) if csf_mask.any() else 0.3 for x in images])
    return white, csf.astype(np.float32)
