"""Enhancing lesions of one scan and their RANO measurements.

A lesion is a connected component of enhancing tumour (26-connectivity, as the BraTS lesion-wise
metrics use), with what it encloses on each axial slice (the necrosis inside an enhancing rim):
its diameters run to its outer edge. Each is measured bidimensionally (``diameters.bidimensional``) on the axial
slice where the product of its two diameters is largest. "Axial" is the voxel axis closest to
the patient's head-foot direction according to the affine, so a volume stored in any
orientation is measured on its axial slices, with that slice's own pixel spacing.

RANO (Wen et al. 2010): a lesion is measurable when both diameters are at least 10 mm and it is
seen on at least two axial slices.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from smart_brains.data.resample import spacing_of
from smart_brains.longitudinal.diameters import bidimensional

MEASURABLE_MM = 10.0
MIN_SLICES = 2
# Slices measured per lesion: those whose area is at least this share of the largest one's (the
# largest product lies on one of them), at most ``_MAX_SLICES``.
_AREA_SHARE = 0.5
_MAX_SLICES = 12


@dataclass(frozen=True)
class Lesion:
    """One enhancing lesion of one scan.

    Attributes:
        component: its label among the scan's components (1-based; 0 means none).
        volume_mm3: its volume.
        centroid_mm: world coordinates (the affine's space) of its centre of mass.
        slices: how many axial slices it is seen on.
        axial_axis: the voxel axis of the axial direction.
        slice_index: the axial slice it is measured on (-1 when not measured).
        longest_mm, perpendicular_mm: its two diameters on that slice.
        longest_vox, perpendicular_vox: each line's two ends in voxel coordinates (i, j, k).
        longest_world, perpendicular_world: the same ends in world millimetres.
    """

    component: int
    volume_mm3: float
    centroid_mm: tuple[float, float, float]
    slices: int
    axial_axis: int
    slice_index: int
    longest_mm: float
    perpendicular_mm: float
    longest_vox: tuple[tuple[float, ...], tuple[float, ...]]
    perpendicular_vox: tuple[tuple[float, ...], tuple[float, ...]]
    longest_world: tuple[tuple[float, ...], tuple[float, ...]]
    perpendicular_world: tuple[tuple[float, ...], tuple[float, ...]]

    @property
    def product_mm2(self) -> float:
        return self.longest_mm * self.perpendicular_mm

    @property
    def measurable(self) -> bool:
        return (
            self.longest_mm >= MEASURABLE_MM
            and self.perpendicular_mm >= MEASURABLE_MM
            and self.slices >= MIN_SLICES
        )


def axial_axis(affine: np.ndarray) -> int:
    """The voxel axis whose direction is closest to world z (head-foot)."""
    directions = affine[:3, :3] / np.linalg.norm(affine[:3, :3], axis=0)
    return int(np.argmax(np.abs(directions[2])))


def _ends_3d(ends, axis: int, index: int, origin: np.ndarray) -> tuple[tuple[float, ...], ...]:
    """2D in-slice ends (within a box starting at voxel ``origin``) as 3D voxel points."""
    out = []
    for i, j in ends:
        point = [float(v) for v in origin]
        in_plane = [a for a in range(3) if a != axis]
        point[in_plane[0]] += float(i)
        point[in_plane[1]] += float(j)
        point[axis] = float(index)
        out.append(tuple(float(v) for v in point))
    return tuple(out)


def _filled(mask: np.ndarray, axis: int) -> np.ndarray:
    """``mask`` with the holes of every axial slice filled: a rim-enhancing lesion is measured
    across its necrotic centre, to its outer edge, as RANO readers measure it."""
    planes = [
        ndimage.binary_fill_holes(np.take(mask, k, axis=axis)) for k in range(mask.shape[axis])
    ]
    return np.stack(planes, axis=axis)


def _world(points, affine: np.ndarray) -> tuple[tuple[float, ...], ...]:
    return tuple(
        tuple(float(v) for v in affine[:3, :3] @ np.asarray(p) + affine[:3, 3]) for p in points
    )


def measure_component(
    mask: np.ndarray, affine: np.ndarray, component: int = 1, origin=(0, 0, 0)
) -> Lesion:
    """The measurement of one lesion ``mask`` (3D bool): a crop of the scan starting at voxel
    ``origin`` of the grid of ``affine`` (the whole scan by default)."""
    spacing = np.asarray(spacing_of(affine))
    axis = axial_axis(affine)
    in_plane = [a for a in range(3) if a != axis]
    coords = np.argwhere(mask) + np.asarray(origin)
    lo = coords.min(0)
    mask = mask[tuple(slice(a - o, None) for a, o in zip(lo, origin))]
    coords_local = np.argwhere(mask)
    box = _filled(mask[tuple(slice(0, b + 1) for b in coords_local.max(0))], axis)
    areas = box.sum(axis=tuple(in_plane))
    order = np.argsort(areas)[::-1]
    chosen = [int(k) for k in order[:_MAX_SLICES] if areas[k] >= _AREA_SHARE * areas[order[0]]]
    best = None
    for k in chosen:
        plane = np.take(box, k, axis=axis)
        labelled, n = ndimage.label(plane, structure=np.ones((3, 3)))
        for part in range(1, n + 1):  # a lesion may show as separate pieces on one slice
            measured = bidimensional(labelled == part, (spacing[in_plane[0]], spacing[in_plane[1]]))
            if best is None or measured.product_mm2 > best[1].product_mm2:
                best = (k, measured)
    k, measured = best
    index = int(lo[axis] + k)
    longest = _ends_3d(measured.longest_ends, axis, index, lo)
    perpendicular = _ends_3d(measured.perpendicular_ends, axis, index, lo)
    centroid = affine[:3, :3] @ coords.mean(0) + affine[:3, 3]
    return Lesion(
        component=component,
        volume_mm3=float(len(coords) * np.prod(spacing)),
        centroid_mm=tuple(float(v) for v in centroid),
        slices=int((areas > 0).sum()),
        axial_axis=axis,
        slice_index=index,
        longest_mm=measured.longest_mm,
        perpendicular_mm=measured.perpendicular_mm,
        longest_vox=longest,
        perpendicular_vox=perpendicular,
        longest_world=_world(longest, affine),
        perpendicular_world=_world(perpendicular, affine),
    )


def measure_lesions(enhancing: np.ndarray, affine: np.ndarray) -> list[Lesion]:
    """Every enhancing lesion of one scan, largest volume first.

    Args:
        enhancing: (X, Y, Z) bool, the enhancing tumour.
        affine: the scan's 4x4 voxel-to-world affine (mm).
    """
    labelled, n = ndimage.label(enhancing, structure=np.ones((3, 3, 3)))
    if n == 0:
        return []
    slices = ndimage.find_objects(labelled)
    lesions = []
    for c, box in enumerate(slices, start=1):
        origin = tuple(s.start for s in box)
        lesions.append(measure_component(labelled[box] == c, affine, c, origin))
    return sorted(lesions, key=lambda lesion: -lesion.volume_mm3)
