"""Gliomas grown on the host's own tissue, not drawn: a Fisher-Kolmogorov front.

Tumour cell density u (0..1) follows the reaction-diffusion model of glioma growth (Swanson et
al. 2000; Lipkova et al. 2019; Ezhov et al. 2023):

    du/dt = div(D grad u) + rho u (1 - u),

with D high in white matter, lower in grey matter and zero in CSF and outside the brain (no flux
across those borders), so a tumour spreads along white matter, wraps around the ventricles and
stops at the cortex. Imaging sees thresholds of u (Lipkova: T1Gd at high density, FLAIR at
low density): the core (TC) is where u is high, and the peritumoral oedema spreads from the core
along white matter by a second diffusion that barely enters grey matter (vasogenic oedema spares
the cortex). The core is then split into an enhancing rim of uneven thickness around necrosis,
or into enhancing and non-enhancing parts, by the kind of tumour (``synth/glioma.py``); the forecasts fit the same model to a patient's
scans (``longitudinal/spatial.py``).

Units: the solver works in voxels and steps of its own grid (at least 2 mm; finer cohorts are
solved at 2 mm and the fields interpolated), with D in voxel^2 per step (<= 1/6 for a stable
explicit scheme) and rho per step; sizes that users set are in mm and cm^3. Labels use the
internal convention (1 NCR/NET, 2 ED, 3 ET, ``data/labels.py``).
"""

from __future__ import annotations

import numpy as np

D_MAX = 0.15  # voxel^2 per step: the explicit scheme is stable up to 1/6 in 3D
SOLVER_MM = 2.0  # finest grid the solver runs on


def _pair(axis: int) -> tuple[tuple[slice, ...], tuple[slice, ...]]:
    """Index tuples of the lower and upper voxel of every face along ``axis``."""
    lo = [slice(None)] * 3
    hi = [slice(None)] * 3
    lo[axis], hi[axis] = slice(0, -1), slice(1, None)
    return tuple(lo), tuple(hi)


def face_diffusivity(diffusivity: np.ndarray) -> list[np.ndarray]:
    """Per axis, the harmonic mean of the two voxels' D at every face ((X-1, Y, Z), ...):
    zero where either side is zero, so nothing flows into CSF or out of the brain."""
    faces = []
    for axis in range(3):
        lo, hi = _pair(axis)
        a, b = diffusivity[lo], diffusivity[hi]
        faces.append((2 * a * b / np.maximum(a + b, 1e-12)).astype(np.float32))
    return faces


def diffuse_step(u: np.ndarray, faces: list[np.ndarray]) -> np.ndarray:
    """div(D grad u) on the grid (X, Y, Z), one explicit step, no-flux borders."""
    change = np.zeros_like(u)
    for axis, face in enumerate(faces):
        lo, hi = _pair(axis)
        flux = face * (u[hi] - u[lo])
        change[lo] += flux
        change[hi] -= flux
    return change


def grow(
    u0: np.ndarray,
    diffusivity: np.ndarray,
    proliferation: np.ndarray,
    level: float,
    target_vox: int,
    max_steps: int = 3000,
    check_every: int = 4,
) -> tuple[np.ndarray, int]:
    """Fisher-Kolmogorov growth from ``u0`` until ``target_vox`` voxels exceed ``level``.

    Args:
        u0: (X, Y, Z) initial density in [0, 1].
        diffusivity: (X, Y, Z) D in voxel^2 per step (0 where the tumour cannot go).
        proliferation: (X, Y, Z) rho per step (or a scalar array).
        level: density whose iso-surface measures the tumour.
        target_vox: voxels above ``level`` at which growth stops.
        max_steps: stop there even if the target is not reached (a tumour boxed in).

    Returns:
        (u, steps): the density (X, Y, Z) float32 and the steps taken.
    """
    u = u0.astype(np.float32).copy()
    faces = face_diffusivity(diffusivity)
    rho = np.asarray(proliferation, dtype=np.float32) * (diffusivity > 0)
    for step in range(1, max_steps + 1):
        u += diffuse_step(u, faces) + rho * u * (1 - u)
        np.clip(u, 0.0, 1.0, out=u)
        if step % check_every == 0 and np.count_nonzero(u > level) >= target_vox:
            return u, step
    return u, max_steps


def spread(
    source: np.ndarray,
    diffusivity: np.ndarray,
    level: float,
    target_vox: int,
    max_steps: int = 2000,
    check_every: int = 4,
) -> np.ndarray:
    """Pure diffusion from ``source`` (held at 1) until ``target_vox`` voxels exceed ``level``
    (the source included): how oedema reaches out from the core along white matter.

    Returns the field (X, Y, Z) float32 in [0, 1], 1 on the source."""
    v = source.astype(np.float32)
    faces = face_diffusivity(diffusivity)
    for step in range(1, max_steps + 1):
        v += diffuse_step(v, faces)
        v[source] = 1.0
        if step % check_every == 0 and np.count_nonzero(v > level) >= target_vox:
            break
    return v


def coarsen(x: np.ndarray, factor: int) -> np.ndarray:
    """Block means of ``factor``^3 voxels of (X, Y, Z) ``x`` (edges padded by repetition)."""
    if factor == 1:
        return x.astype(np.float32)
    pad = [(0, (-n) % factor) for n in x.shape]
    x = np.pad(x.astype(np.float32), pad, mode="edge")
    shape = [n // factor for n in x.shape]
    return x.reshape(shape[0], factor, shape[1], factor, shape[2], factor).mean((1, 3, 5))


def refine(x: np.ndarray, factor: int, shape: tuple[int, ...]) -> np.ndarray:
    """Linear interpolation of a ``coarsen``-ed field back to ``shape`` (voxel centres
    aligned, as block means put them)."""
    if factor > 1:
        import torch
        import torch.nn.functional as F

        size = [n * factor for n in x.shape]
        t = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))[None, None]
        x = F.interpolate(t, size=size, mode="trilinear", align_corners=False)[0, 0].numpy()
    return np.ascontiguousarray(x[tuple(slice(0, n) for n in shape)], dtype=np.float32)
