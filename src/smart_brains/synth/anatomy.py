"""Brain anatomy for synthetic cases, from a source brain (``synth/brains.py``).

The source T1 (skull-stripped, on the common intensity scale) gives tissue fractions by
partial-volume unmixing between CSF, grey matter and white matter, so ventricles and sulci are
real anatomy. Each case is its own anatomy: a random affine (head size +-15 % per axis, rotation
+-10 degrees, position +-8 mm), a coarse elastic field of several mm (brain shape) plus a fine
one (gyri), enlarged ventricles and widened sulci (atrophy) by a random amount, and a radial
mass effect around each tumour.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from smart_brains.synth.brains import CSF_LEVEL, GM_LEVEL, WM_LEVEL, Template


def tissue_fractions(t1: np.ndarray, atrophy: float = 0.0) -> np.ndarray:
    """Unmix template intensity into (3, ...) float32 fractions CSF, GM, WM summing to 1.

    ``atrophy`` in [0, 1] widens sulci and ventricle borders: partial-volume voxels between CSF
    and grey matter count as more CSF (the CSF end point moves up by 0.15 x atrophy)."""
    csf_level = CSF_LEVEL + 0.15 * atrophy
    t = np.clip(t1, csf_level, WM_LEVEL)
    low = t <= GM_LEVEL
    csf = np.where(low, (GM_LEVEL - t) / (GM_LEVEL - csf_level), 0.0)
    wm = np.where(low, 0.0, (t - GM_LEVEL) / (WM_LEVEL - GM_LEVEL))
    return np.stack([csf, 1.0 - csf - wm, wm]).astype(np.float32)


def smooth_field(
    shape: tuple[int, ...], rng: np.random.Generator, coarse: int = 6, order: int = 1
) -> np.ndarray:
    """A smooth random field of ``shape``, unit standard deviation, from a coarse grid.

    The coarse grid is interpolated with spline ``order`` to a quarter of the resolution, then
    linearly to ``shape`` (a full-size cubic spline zoom costs seconds per field).
    """
    grid = rng.standard_normal((coarse,) * len(shape)).astype(np.float32)
    mid = [max(coarse, s // 4) for s in shape]
    field = ndimage.zoom(
        grid, [m / coarse for m in mid], order=order, mode="nearest", grid_mode=False
    )
    field = ndimage.zoom(
        field, [s / f for s, f in zip(shape, field.shape)], order=1, mode="nearest"
    )
    field = field[tuple(slice(0, s) for s in shape)]
    return ((field - field.mean()) / (field.std() + 1e-8)).astype(np.float32)


@dataclass(frozen=True)
class Warp:
    """Output world mm -> template world mm: q = M (p - c_out) + c_mni + shift, then elastic."""

    matrix: np.ndarray  # (3, 3)
    out_centre_mm: np.ndarray
    template_centre_mm: np.ndarray
    shift_mm: np.ndarray

    def to_template(self, p: np.ndarray) -> np.ndarray:
        """(..., 3) output mm -> (..., 3) template mm (affine part only)."""
        return (p - self.out_centre_mm) @ self.matrix.T + self.template_centre_mm + self.shift_mm

    def to_output(self, q: np.ndarray) -> np.ndarray:
        """(..., 3) template mm -> (..., 3) output mm (inverse of the affine part)."""
        inv = np.linalg.inv(self.matrix)
        return (q - self.template_centre_mm - self.shift_mm) @ inv.T + self.out_centre_mm


def random_warp(rng: np.random.Generator, out_centre_mm: np.ndarray, template: Template) -> Warp:
    """Per-case head size (+-15 % per axis), rotation (+-10 degrees) and position (+-8 mm)."""
    angles = np.deg2rad(rng.uniform(-10, 10, size=3))
    cx, cy, cz = np.cos(angles)
    sx, sy, sz = np.sin(angles)
    rot_x = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    rot_y = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rot_z = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    scale = np.diag(1.0 / rng.uniform(0.85, 1.15, size=3))
    return Warp(
        rot_z @ rot_y @ rot_x @ scale, out_centre_mm, template.centre_mm, rng.uniform(-8, 8, 3)
    )


def mass_effect(
    points_mm: np.ndarray, centre_mm: np.ndarray, radius_mm: float, strength: float
) -> np.ndarray:
    """Where tissue seen at ``points_mm`` (..., 3) came from before a tumour pushed it outward.

    Radial map s(d) = d (1 - strength exp(-(d / radius)^2)), monotonic for strength < 1, so
    tissue is compressed around the tumour and untouched far away.
    """
    offset = points_mm - centre_mm
    d = np.linalg.norm(offset, axis=-1, keepdims=True)
    return centre_mm + offset * (1.0 - strength * np.exp(-((d / radius_mm) ** 2)))


def sample_anatomy(
    template: Template,
    points_mm: np.ndarray,
    elastic_mm: np.ndarray,
    warp: Warp,
    atrophy: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Template tissue at output points.

    Args:
        points_mm: (X, Y, Z, 3) output world coordinates (after mass effect).
        elastic_mm: (X, Y, Z, 3) smooth displacement added in template space.
        warp: the case's affine warp.
        atrophy: 0..1, see ``tissue_fractions``.

    Returns:
        fractions (3, X, Y, Z) CSF/GM/WM, and the brain mask (X, Y, Z) bool.
    """
    q = warp.to_template(points_mm) + elastic_mm
    inv = np.linalg.inv(template.affine)
    vox = q @ inv[:3, :3].T + inv[:3, 3]
    t1 = ndimage.map_coordinates(template.t1, np.moveaxis(vox, -1, 0), order=1, cval=0.0)
    brain = t1 > 0.1
    brain = ndimage.binary_fill_holes(ndimage.binary_opening(brain, iterations=1))
    return tissue_fractions(t1, atrophy) * brain, brain


def lesion_sites(
    fractions: np.ndarray, brain: np.ndarray, points_mm: np.ndarray, spacing_mm: float
) -> dict[str, np.ndarray]:
    """Candidate tumour centres (N, 3) world mm, found in the case's own anatomy.

    Args:
        fractions: (3, X, Y, Z) CSF/GM/WM of the case (before any tumour).
        brain: (X, Y, Z) bool; points_mm: (X, Y, Z, 3) world mm of the grid (z superior).

    Returns:
        'deep_wm': white matter (fraction > 0.7) >= 12 mm inside the brain (gliomas);
        'junction': grey/white mixtures >= 8 mm inside (metastases); 'surface': 2-5 mm inside
        the surface in the upper two thirds (meningiomas, under the dura).
    """
    depth = ndimage.distance_transform_edt(brain) * spacing_mm
    wm = fractions[2]
    upper = (np.arange(brain.shape[2]) > brain.shape[2] / 3)[None, None, :]
    masks = {
        "deep_wm": (depth >= 12) & (wm > 0.7),
        "junction": (depth >= 8) & (wm > 0.15) & (wm < 0.5),
        "surface": (depth >= 2) & (depth <= 5) & upper,
    }
    return {name: points_mm[mask] for name, mask in masks.items()}
