"""Bidimensional (RANO) measurement of one lesion on one axial slice.

RANO (Wen et al., J Clin Oncol 2010) measures an enhancing lesion by its longest diameter on an
axial slice and the longest diameter perpendicular to it on the same slice. Here both lines are
chords of the lesion: every point of each line lies inside it, whatever the lesion's
orientation in the slice, and lengths are in millimetres with the slice's own pixel spacing
(anisotropic pixels measured correctly).

Pixels are rectangles of ``spacing`` mm centred on their indices. The longest chord runs between
two pixel centres; the perpendicular chords cross the lesion every quarter pixel along it, each
to the edge of the pixels it crosses. Taking the longest of many chords biases both (measured
on ellipses of every orientation and sub-pixel offset: the centre-to-centre diameter comes out
half a pixel short, the pixel-edge one half a pixel long), so half a pixel's extent along the
chord is added to the first and taken from the second: both are then within a pixel of the
true diameter (``tests/longitudinal/test_diameters.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Sampling steps, in pixels: along a chord to check it stays inside, and between candidate
# perpendicular lines along the longest diameter.
_INSIDE_STEP = 0.25
_PERPENDICULAR_STEP = 0.25


@dataclass(frozen=True)
class Bidimensional:
    """A lesion's two RANO diameters on one slice.

    Attributes:
        longest_mm: the longest chord, in mm.
        perpendicular_mm: the longest chord perpendicular to it, in mm (0 for a 1-pixel line).
        longest_ends: ((i, j), (i, j)) pixel coordinates (floats) of the longest chord's ends
            (pixel centres).
        perpendicular_ends: the same for the perpendicular chord.
    """

    longest_mm: float
    perpendicular_mm: float
    longest_ends: tuple[tuple[float, float], tuple[float, float]]
    perpendicular_ends: tuple[tuple[float, float], tuple[float, float]]

    @property
    def product_mm2(self) -> float:
        return self.longest_mm * self.perpendicular_mm


def _inside(mask: np.ndarray, a: np.ndarray, b: np.ndarray) -> bool:
    """Whether the segment from pixel ``a`` to pixel ``b`` (float (i, j)) lies in ``mask``."""
    n = int(np.ceil(np.linalg.norm(b - a) / _INSIDE_STEP)) + 1
    return bool(_holds(mask, a + np.linspace(0.0, 1.0, n)[:, None] * (b - a)).all())


def _end_extent(direction_mm: np.ndarray, spacing: np.ndarray) -> float:
    """A pixel's extent (mm) along the unit vector ``direction_mm``."""
    return float(np.abs(direction_mm) @ spacing)


def _hull_points(mask: np.ndarray) -> np.ndarray:
    """(N, 2) pixel coordinates of the convex hull of ``mask``'s pixel centres (all of them
    when there are too few or they are collinear)."""
    points = np.argwhere(mask).astype(float)
    if len(points) < 4:
        return points
    from scipy.spatial import ConvexHull, QhullError

    try:
        return points[ConvexHull(points).vertices]
    except QhullError:  # collinear pixels: a line
        return points


def _longest_chord(mask: np.ndarray, spacing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ends (pixel coordinates) of the longest chord inside ``mask`` between hull points; for a
    concave lesion, the longest pair whose segment stays inside, else the longest pair of all
    boundary pixels whose segment does."""
    from scipy.ndimage import binary_erosion

    boundary = mask & ~binary_erosion(mask)
    for candidates in (_hull_points(mask), np.argwhere(boundary).astype(float)):
        if len(candidates) == 1:
            return candidates[0], candidates[0]
        diff = (candidates[:, None, :] - candidates[None, :, :]) * spacing
        dist = np.sqrt((diff**2).sum(-1))
        flat = np.argsort(dist, axis=None)[::-1]
        for index in flat[: min(len(flat), 4000) : 2]:  # each pair appears twice
            i, j = np.unravel_index(index, dist.shape)
            if _inside(mask, candidates[i], candidates[j]):
                return candidates[i], candidates[j]
    point = np.argwhere(mask)[0].astype(float)
    return point, point


def _pixel(points: np.ndarray) -> np.ndarray:
    """The pixel holding each float point (half-up rounding, no banker's ties)."""
    return np.floor(points + 0.5).astype(int)


def _holds(mask: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Whether each (N, 2) float point falls in a pixel of ``mask`` (False off the grid)."""
    index = _pixel(points)
    valid = (index >= 0).all(1) & (index < mask.shape).all(1)
    out = np.zeros(len(points), dtype=bool)
    out[valid] = mask[index[valid, 0], index[valid, 1]]
    return out


def _chord_through(
    mask: np.ndarray, centre: np.ndarray, step: np.ndarray, limit: int
) -> tuple[np.ndarray, np.ndarray]:
    """Ends of the run of ``mask``'s pixels through ``centre`` along ``step`` (pixels per
    sample): walked both ways until the lesion ends (the last samples inside)."""
    k = np.arange(-limit, limit + 1)[:, None]
    inside = _holds(mask, centre + k * step)
    outside = np.flatnonzero(~inside) - limit
    first = int(outside[outside > 0].min()) if (outside > 0).any() else limit + 1
    last = int(outside[outside < 0].max()) if (outside < 0).any() else -limit - 1
    return centre + (last + 1) * step, centre + (first - 1) * step


def bidimensional(mask: np.ndarray, spacing: tuple[float, float]) -> Bidimensional:
    """The RANO diameters of the lesion ``mask`` (2D bool, one connected lesion on one axial
    slice) with pixel ``spacing`` (mm along axis 0 and axis 1)."""
    sp = np.asarray(spacing, dtype=float)
    a, b = _longest_chord(mask, sp)
    axis_mm = (b - a) * sp
    length = float(np.linalg.norm(axis_mm))
    if length == 0:
        extent = float(sp.min())
        point = (float(a[0]), float(a[1]))
        return Bidimensional(extent, extent, (point, point), (point, point))
    unit_mm = axis_mm / length
    longest_mm = length + 0.5 * _end_extent(unit_mm, sp)
    normal_mm = np.array([-unit_mm[1], unit_mm[0]])
    step = normal_mm / sp
    step *= _INSIDE_STEP / np.abs(step).max()  # sample the normal at <= 1/4 pixel
    limit = int(np.ceil(np.hypot(*mask.shape) / _INSIDE_STEP))
    centres = np.argwhere(mask).astype(float)
    across = (centres * sp) @ normal_mm  # mm along the normal, of every pixel centre
    along = (centres * sp) @ unit_mm
    best = (0.0, a, a)
    samples = max(2, int(np.ceil(np.linalg.norm(b - a) / _PERPENDICULAR_STEP)) + 1)
    for t in np.linspace(0.0, 1.0, samples):
        centre = a + t * (b - a)
        if not _holds(mask, centre[None])[0]:
            continue
        p, q = _chord_through(mask, centre, step, limit)
        # the pixel centres on this line (within half a pixel of it) and on its run
        lo, hi = sorted(((p * sp) @ normal_mm, (q * sp) @ normal_mm))
        band = np.abs(along - centre @ (sp * unit_mm)) <= 0.5 * _end_extent(unit_mm, sp)
        band &= (across >= lo) & (across <= hi)
        if not band.any():
            continue
        chord = float(np.ptp(across[band]))
        if chord > best[0] or best[0] == 0.0:
            # the drawn line: from the first to the last pixel centre on it, on the line
            offset = centre @ (sp * normal_mm)
            best = (chord, centre + (across[band].min() - offset) * normal_mm / sp,
                    centre + (across[band].max() - offset) * normal_mm / sp)  # fmt: skip
    chord, p, q = best
    perpendicular_mm = chord + 0.5 * _end_extent(normal_mm, sp)

    def pair(u: np.ndarray, v: np.ndarray) -> tuple[tuple[float, float], tuple[float, float]]:
        return (float(u[0]), float(u[1])), (float(v[0]), float(v[1]))

    return Bidimensional(longest_mm, perpendicular_mm, pair(a, b), pair(p, q))
