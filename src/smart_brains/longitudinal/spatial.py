"""Where a tumour will be: a Fisher-Kolmogorov growth model fitted to a patient's scans.

The growth model (``growth/solver.py``, which the generator grows its gliomas with) in
physical units: tumour cell density u
(0..1) with du/dt = div(D grad u) + rho u (1 - u), D = D_white in white matter, D_white /
``GREY_RATIO`` in grey matter, 0 in CSF and outside the brain (Swanson et al. 2000; Lipkova et
al. 2019). Imaging sees thresholds of u: the whole tumour (FLAIR) where u > ``WT_LEVEL``, the
core (T1Gd) where u > ``TC_LEVEL``.

Fitting: a scan's segmentation gives the density of a travelling front of the parameters tried
through its whole tumour's edge (``front``: the visible edge at ``WT_LEVEL``, saturating inside,
and ahead of it the infiltration a scan cannot show; starting from the visible labels alone, the
model starts behind the real front and under-predicts even with the true parameters); from the
first scan the model is run to each later scan's day and scored by the mean Dice of whole
tumour and core; D_white and rho are chosen on a
log grid, then refined (Nelder-Mead on their logarithms). The front's speed 2 sqrt(D rho) is what
the scans pin down best; D / rho (how far the infiltration reaches ahead of the visible edge) is
weaker. The forecast runs the fitted model from the last scan to the forecast day: the predicted
whole-tumour extent (u > ``WT_LEVEL``) and the density itself (where it is most likely to
infiltrate). Solved at ``SOLVER_MM`` on the part of the brain around the tumour.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage, optimize

from smart_brains.data.labels import REGION_LABELS
from smart_brains.growth.solver import coarsen, diffuse_step, face_diffusivity, refine

GREY_RATIO = 10.0  # D_white / D_grey (Swanson 2000; Lipkova 2019)
WT_LEVEL, TC_LEVEL = 0.25, 0.6
SOLVER_MM = 2.0
D_RANGE = (0.01, 3.0)  # mm^2 per day in white matter
RHO_RANGE = (0.002, 0.3)  # per day
MIN_FIT_DICE = 0.5  # below it the model does not reproduce the scans: no spatial forecast


@dataclass(frozen=True)
class GrowthFit:
    """Fitted parameters and how well they reproduce the scans.

    Attributes:
        d_white: diffusivity in white matter, mm^2 per day.
        rho: proliferation rate, per day.
        dice: mean Dice of whole tumour and core at each later scan, from the first.
    """

    d_white: float
    rho: float
    dice: tuple[float, ...]

    @property
    def speed_mm_per_day(self) -> float:
        """The front's speed 2 sqrt(D rho) in white matter."""
        return float(2 * np.sqrt(self.d_white * self.rho))


def signed_distance(labels: np.ndarray, spacing_mm: float) -> np.ndarray:
    """Distance (mm) of every voxel to the whole tumour's edge in internal ``labels``
    (X, Y, Z): positive outside, negative inside."""
    whole = np.isin(labels, REGION_LABELS["WT"])
    if not whole.any():
        return np.full(labels.shape, np.inf, np.float32)
    outside = ndimage.distance_transform_edt(~whole)
    inside = ndimage.distance_transform_edt(whole)
    return ((outside - inside) * spacing_mm).astype(np.float32)


def front(signed_mm: np.ndarray, d_white: float, rho: float) -> np.ndarray:
    """The density of a travelling Fisher-Kolmogorov front through the scan's edge:
    u = 1 / (1 + 3 exp(s / L)), L = sqrt(D / rho): WT_LEVEL at the edge, saturating inside,
    the infiltration a scan cannot show decaying as exp(-s / L) ahead of it."""
    width = np.sqrt(d_white / rho)
    return (1.0 / (1.0 + 3.0 * np.exp(np.clip(signed_mm / width, -30, 30)))).astype(np.float32)


def simulate(
    u0: np.ndarray,
    fractions: np.ndarray,
    spacing_mm: float,
    d_white: float,
    rho: float,
    days: float,
) -> np.ndarray:
    """Run the model ``days`` forward from density ``u0`` (X, Y, Z) on tissue ``fractions``
    (3, X, Y, Z: CSF, grey, white); the explicit step fits the stability limit."""
    if days <= 0:
        return u0.astype(np.float32)
    d_mm = d_white * (fractions[2] + fractions[1] / GREY_RATIO)
    dt = min(1.0, 0.15 * spacing_mm**2 / max(d_white, 1e-9))
    steps = int(np.ceil(days / dt))
    dt = days / steps
    faces = face_diffusivity((d_mm * dt / spacing_mm**2).astype(np.float32))
    growing = (d_mm > 0).astype(np.float32) * rho * dt
    u = u0.astype(np.float32).copy()
    for _ in range(steps):
        u += diffuse_step(u, faces) + growing * u * (1 - u)
        np.clip(u, 0.0, 1.0, out=u)
    return u


def _dice(a: np.ndarray, b: np.ndarray) -> float:
    total = a.sum() + b.sum()
    return 1.0 if total == 0 else float(2 * (a & b).sum() / total)


@dataclass(frozen=True)
class _Problem:
    """The scans on the solver's grid: tissue, the first scan's signed distance to its
    tumour's edge, later masks and days."""

    fractions: np.ndarray
    spacing_mm: float
    signed_mm: np.ndarray
    later: list[tuple[float, np.ndarray, np.ndarray]]  # (days after the first, WT, TC)

    def start(self, d_white: float, rho: float) -> np.ndarray:
        return front(self.signed_mm, d_white, rho) * (self.fractions.sum(0) > 0.5)

    def scores(self, d_white: float, rho: float) -> list[float]:
        u, now, out = self.start(d_white, rho), 0.0, []
        for day, wt, tc in self.later:
            u = simulate(u, self.fractions, self.spacing_mm, d_white, rho, day - now)
            now = day
            out.append(0.5 * (_dice(u > WT_LEVEL, wt) + _dice(u > TC_LEVEL, tc)))
        return out


def _box(masks: list[np.ndarray], brain: np.ndarray, margin_vox: int) -> tuple[slice, ...]:
    """The grid around every scan's tumour, ``margin_vox`` wider, within the brain's box."""
    tumour = np.logical_or.reduce(masks)
    idx = np.argwhere(tumour if tumour.any() else brain)
    inside = np.argwhere(brain)
    lo = np.maximum(idx.min(0) - margin_vox, inside.min(0))
    hi = np.minimum(idx.max(0) + margin_vox + 1, inside.max(0) + 1)
    return tuple(slice(a, b) for a, b in zip(lo, hi))


def prepare(
    fractions: np.ndarray,
    scans: list[tuple[float, np.ndarray]],
    spacing_mm: float,
    margin_mm: float = 40,
) -> tuple[_Problem, tuple[slice, ...], int]:
    """The fitting problem of ``scans`` ((day, internal labels) in time order, one grid) on
    tissue ``fractions`` (3, X, Y, Z); returns it, the box it covers and the solver's factor."""
    factor = max(1, int(round(SOLVER_MM / spacing_mm)))
    brain = fractions.sum(0) > 0.5
    box = _box([labels > 0 for _, labels in scans], brain, int(margin_mm / spacing_mm))
    local = np.stack([coarsen(f[box], factor) for f in fractions])
    step = spacing_mm * factor
    first = coarsen(np.isin(scans[0][1][box], REGION_LABELS["WT"]), factor) > 0.5
    later = []
    for day, labels in scans[1:]:
        wt = coarsen(np.isin(labels[box], REGION_LABELS["WT"]), factor) > 0.5
        tc = coarsen(np.isin(labels[box], REGION_LABELS["TC"]), factor) > 0.5
        later.append((day - scans[0][0], wt, tc))
    signed = signed_distance(first.astype(np.uint8) * 2, step)  # 2: oedema, any WT label
    return _Problem(local, step, signed, later), box, factor


def fit_growth(
    fractions: np.ndarray, scans: list[tuple[float, np.ndarray]], spacing_mm: float, grid: int = 6
) -> GrowthFit:
    """D_white and rho that best reproduce the later ``scans`` from the first (see the module)."""
    problem, _, _ = prepare(fractions, scans, spacing_mm)
    logs_d = np.linspace(*np.log(D_RANGE), grid)
    logs_r = np.linspace(*np.log(RHO_RANGE), grid)

    def loss(p: np.ndarray) -> float:
        d, r = np.exp(np.clip(p, [logs_d[0], logs_r[0]], [logs_d[-1], logs_r[-1]]))
        return -float(np.mean(problem.scores(d, r)))

    start = min(((a, b) for a in logs_d for b in logs_r), key=lambda p: loss(np.array(p)))
    best = optimize.minimize(loss, np.array(start), method="Nelder-Mead",
                             options={"xatol": 0.05, "fatol": 1e-3, "maxfev": 40})  # fmt: skip
    d, r = np.exp(np.clip(best.x, [logs_d[0], logs_r[0]], [logs_d[-1], logs_r[-1]]))
    return GrowthFit(float(d), float(r), tuple(problem.scores(d, r)))


def forecast_extent(
    fractions: np.ndarray,
    labels: np.ndarray,
    spacing_mm: float,
    fit: GrowthFit,
    days: float,
) -> tuple[np.ndarray, np.ndarray]:
    """(predicted whole tumour (X, Y, Z) bool, density (X, Y, Z) float32) ``days`` after the
    scan whose internal ``labels`` start the model, on that scan's grid."""
    reach = fit.speed_mm_per_day * days + 40  # the front cannot outrun its speed
    problem, box, factor = prepare(fractions, [(0.0, labels)], spacing_mm, margin_mm=reach)
    u0 = problem.start(fit.d_white, fit.rho)
    u = simulate(u0, problem.fractions, problem.spacing_mm, fit.d_white, fit.rho, days)
    shape = tuple(s.stop - s.start for s in box)
    density = np.zeros(labels.shape, np.float32)
    density[box] = refine(u, factor, shape) * (fractions[(slice(None), *box)].sum(0) > 0.5)
    return density > WT_LEVEL, density
