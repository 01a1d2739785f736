"""Brain anatomy for synthetic cases, from the MNI152 2009c template shipped in nilearn's wheel.

The template T1 (1 mm, skull-stripped) gives tissue fractions by partial-volume unmixing of its
intensity between CSF, grey matter and white matter, so ventricles and sulci are real anatomy.
Each case deforms it: a random affine (scaling, rotation, shift) plus a smooth elastic field,
and a radial mass effect around each tumour.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import nibabel as nib
import numpy as np
from scipy import ndimage

# Template T1 intensity (0..1) at pure CSF, grey matter and white matter (histogram peaks).
CSF_LEVEL, GM_LEVEL, WM_LEVEL = 0.25, 0.65, 0.86


@dataclass(frozen=True)
class Template:
    """The MNI152 template. t1: (X, Y, Z) float32 in 0..1; affine: voxel -> MNI mm."""

    t1: np.ndarray
    affine: np.ndarray
    centre_mm: np.ndarray  # centroid of the brain, MNI mm
    deep_wm_mm: np.ndarray  # (N, 3) MNI mm of white-matter voxels >= 12 mm inside the brain
    junction_mm: np.ndarray  # (N, 3) grey/white junction >= 8 mm inside (metastases seed there)
    surface_mm: np.ndarray  # (N, 3) cortex 2-5 mm inside the surface, upper two thirds (dura)


def _template_path() -> Path:
    import nilearn  # imported here: only synthesis needs nilearn

    return (
        Path(nilearn.__file__).parent
        / "datasets"
        / "data"
        / "mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz"
    )


@lru_cache(maxsize=1)
def load_template() -> Template:
    img = nib.load(str(_template_path()))
    t1 = np.asarray(img.dataobj, dtype=np.float32) / 255.0
    mask = t1 > 0.05
    centre_vox = np.array(ndimage.center_of_mass(mask))
    to_mm = img.affine[:3, :3], img.affine[:3, 3]
    depth = ndimage.distance_transform_edt(mask)
    wm_vox = np.argwhere((depth >= 12) & (t1 > 0.8))[::7]
    junction_vox = np.argwhere((depth >= 8) & (t1 > 0.68) & (t1 < 0.76))[::7]
    upper = np.arange(t1.shape[2]) > t1.shape[2] / 3
    surface_vox = np.argwhere((depth >= 2) & (depth <= 5) & upper[None, None, :])[::7]
    return Template(
        t1=t1,
        affine=img.affine,
        centre_mm=to_mm[0] @ centre_vox + to_mm[1],
        deep_wm_mm=wm_vox @ to_mm[0].T + to_mm[1],
        junction_mm=junction_vox @ to_mm[0].T + to_mm[1],
        surface_mm=surface_vox @ to_mm[0].T + to_mm[1],
    )


def tissue_fractions(t1: np.ndarray) -> np.ndarray:
    """Unmix template intensity into (3, ...) float32 fractions CSF, GM, WM summing to 1."""
    t = np.clip(t1, CSF_LEVEL, WM_LEVEL)
    low = t <= GM_LEVEL
    csf = np.where(low, (GM_LEVEL - t) / (GM_LEVEL - CSF_LEVEL), 0.0)
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
    """Per-case head size (+-10 % per axis), rotation (+-8 degrees) and position (+-6 mm)."""
    angles = np.deg2rad(rng.uniform(-8, 8, size=3))
    cx, cy, cz = np.cos(angles)
    sx, sy, sz = np.sin(angles)
    rot_x = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    rot_y = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rot_z = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    scale = np.diag(1.0 / rng.uniform(0.9, 1.1, size=3))
    return Warp(
        rot_z @ rot_y @ rot_x @ scale, out_centre_mm, template.centre_mm, rng.uniform(-6, 6, 3)
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
) -> tuple[np.ndarray, np.ndarray]:
    """Template tissue at output points.

    Args:
        points_mm: (X, Y, Z, 3) output world coordinates (after mass effect).
        elastic_mm: (X, Y, Z, 3) smooth displacement added in template space.
        warp: the case's affine warp.

    Returns:
        fractions (3, X, Y, Z) CSF/GM/WM, and the brain mask (X, Y, Z) bool.
    """
    q = warp.to_template(points_mm) + elastic_mm
    inv = np.linalg.inv(template.affine)
    vox = q @ inv[:3, :3].T + inv[:3, 3]
    t1 = ndimage.map_coordinates(template.t1, np.moveaxis(vox, -1, 0), order=1, cval=0.0)
    brain = t1 > 0.1
    brain = ndimage.binary_fill_holes(ndimage.binary_opening(brain, iterations=1))
    return tissue_fractions(t1) * brain, brain
