"""Acquisition sites of the synthetic cohort: how one scanner and protocol renders a brain.

A real multi-centre dataset such as BraTS mixes scanners (1.5 T and 3 T), 3D and 2D protocols
(thick axial, sagittal or coronal slices resampled to 1 mm), bias fields, noise and intensity
scales. Each ``Site`` fixes those per modality; every case then jitters them a little.

| site | protocol | slices (mm) t1/t1ce/t2/flair, axis | contrast curve (gamma) | bias | noise | scale |
|---|---|---|---|---|---|---|
| 0 | 3 T, 3D | 1 / 1 / 1 / 1 | 1.0 / 1.0 / 1.0 / 1.0 | 0.15 | 0.020 | 1000 |
| 1 | 1.5 T, 2D axial | 1 / 1 / 4 / 5, axial | 1.0 / 0.9 / 1.1 / 1.15 | 0.30 | 0.045 | 400 |
| 2 | 3 T, mixed | 1.2 / 1 / 3 / 3, sagittal | 0.85 / 1.0 / 1.0 / 0.9 | 0.20 | 0.030 | 3000 |
| 3 (held out) | 1.5 T, 2D coronal | 3 / 1.5 / 4 / 5, coronal | 1.25 / 1.2 / 0.8 / 1.3 | 0.35 | 0.050 | 150 |

Besides, each site scales each tissue's signal per modality by its own factor in 0.92-1.08
(drawn once from the site's number): no two sites show the same contrast between tissues.
Site 3 is never used by the development cohort, only by the held-out test cohort.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from smart_brains.synth.anatomy import smooth_field

N_TISSUES = 8  # render.TISSUES


@dataclass(frozen=True)
class Site:
    """One scanner and protocol. Tuples are per modality, in the order t1, t1ce, t2, flair.

    Attributes:
        name: short description.
        slice_mm: slice thickness (mm) of each modality's acquisition.
        slice_axis: 0 sagittal, 1 coronal, 2 axial: the axis the thick slices cut.
        gamma: exponent of the signal curve (contrast between dark and bright tissue).
        bias: standard deviation of the log bias field.
        noise: Rician noise sigma, relative to white matter ~0.85.
        scale: intensity units per unit signal (before per-case jitter x0.7-1.4).
    """

    name: str
    slice_mm: tuple[float, float, float, float]
    slice_axis: int
    gamma: tuple[float, float, float, float]
    bias: float
    noise: float
    scale: float

    def tissue_gain(self, index: int) -> np.ndarray:
        """(4, N_TISSUES) factors of each tissue's signal per modality, fixed per site."""
        return np.random.default_rng([7919, index]).uniform(0.92, 1.08, size=(4, N_TISSUES))


SITES: tuple[Site, ...] = (
    Site("3T 3D", (1, 1, 1, 1), 2, (1.0, 1.0, 1.0, 1.0), 0.15, 0.020, 1000),
    Site("1.5T 2D axial", (1, 1, 4, 5), 2, (1.0, 0.9, 1.1, 1.15), 0.30, 0.045, 400),
    Site("3T mixed", (1.2, 1, 3, 3), 0, (0.85, 1.0, 1.0, 0.9), 0.20, 0.030, 3000),
    Site("1.5T 2D coronal", (3, 1.5, 4, 5), 1, (1.25, 1.2, 0.8, 1.3), 0.35, 0.050, 150),
)
DEVELOPMENT_SITES = (0, 1, 2)
HELD_OUT_SITES = (3,)


def thick_slices(x: np.ndarray, axis: int, thickness_vox: float) -> np.ndarray:
    """Simulate slices ``thickness_vox`` voxels thick along ``axis``, resampled back to the grid:
    a Gaussian slice profile (FWHM = thickness), one sample per slice, linear interpolation."""
    if thickness_vox <= 1.05:
        return x
    x = ndimage.gaussian_filter1d(x, thickness_vox / 2.355, axis=axis, mode="nearest")
    n = x.shape[axis]
    n_slices = max(2, int(round(n / thickness_vox)))
    down = [1.0] * x.ndim
    down[axis] = n_slices / n
    small = ndimage.zoom(x, down, order=1, mode="nearest")
    up = [1.0] * x.ndim
    up[axis] = n / small.shape[axis]
    out = ndimage.zoom(small, up, order=1, mode="nearest")
    return out[tuple(slice(0, s) for s in x.shape)]


def acquire(
    signal: np.ndarray,
    brain: np.ndarray,
    rng: np.random.Generator,
    site: Site,
    channel: int,
    spacing_mm: float,
) -> np.ndarray:
    """Image one modality's ``signal`` (X, Y, Z) at ``site``: slice thickness, contrast curve,
    bias field, Rician noise and intensity scale. Returns int16, zero outside ``brain``."""
    signal = thick_slices(signal, site.slice_axis, site.slice_mm[channel] / spacing_mm)
    signal = np.clip(signal, 0, None) ** site.gamma[channel]
    bias = np.exp(site.bias * rng.uniform(0.8, 1.2) * smooth_field(signal.shape, rng, 4, 3))
    sigma = site.noise * rng.uniform(0.8, 1.2)
    real = signal * bias + sigma * rng.standard_normal(signal.shape, dtype=np.float32)
    imag = sigma * rng.standard_normal(signal.shape, dtype=np.float32)
    magnitude = np.sqrt(real**2 + imag**2) * site.scale * rng.uniform(0.7, 1.4)
    return np.where(brain, np.clip(magnitude, 1, 32767), 0).astype(np.int16)
