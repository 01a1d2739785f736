"""Resampling between voxel spacings, as nnU-Net does it: images and probabilities with linear
interpolation, label maps by nearest neighbour, voxel grids aligned at their outer edges (the
volume keeps its physical extent: a voxel of the new grid covers what its spacing says).

Arrays are (C, X, Y, Z) images or probabilities, or (X, Y, Z) label maps; spacings are mm per
voxel along X, Y, Z (``spacing_of`` reads them from an affine).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Spacing = tuple[float, float, float]
TOLERANCE = 0.01  # relative spacing difference below which a grid is left as it is


def spacing_of(affine: np.ndarray) -> Spacing:
    """Voxel size in mm along each voxel axis of a (4, 4) voxel -> world affine."""
    x, y, z = (float(v) for v in np.linalg.norm(np.asarray(affine)[:3, :3], axis=0))
    return (x, y, z)


def same_spacing(a: Sequence[float], b: Sequence[float]) -> bool:
    return all(abs(x - y) <= TOLERANCE * max(x, y) for x, y in zip(a, b))


def shape_at(shape: Sequence[int], spacing: Sequence[float], target: Sequence[float]) -> tuple:
    """The grid shape covering the same extent as ``shape`` at ``spacing``, at ``target``."""
    return tuple(max(1, int(round(n * s / t))) for n, s, t in zip(shape, spacing, target))


def resize(array: np.ndarray, shape: Sequence[int], labels: bool = False) -> np.ndarray:
    """(C, X, Y, Z) linearly (``labels``: (X, Y, Z) by nearest neighbour) onto ``shape``,
    edge-aligned grids (output voxel i is centred at input index (i + 0.5) * n / m - 0.5)."""
    import torch  # here, so that reading spacings does not load torch
    import torch.nn.functional as F

    shape = tuple(int(n) for n in shape)
    if tuple(array.shape[-3:]) == shape:
        return array
    if labels:
        x = torch.from_numpy(np.ascontiguousarray(array, np.uint8))[None, None].float()
        out = F.interpolate(x, size=shape, mode="nearest-exact")[0, 0]
        return out.to(torch.uint8).numpy()
    x = torch.from_numpy(np.ascontiguousarray(array, np.float32))[None]
    out = F.interpolate(x, size=shape, mode="trilinear", align_corners=False)[0]
    return out.numpy()


def resampled_affine(affine: np.ndarray, old_shape: Sequence[int], new_shape: Sequence[int]):
    """The affine of the edge-aligned grid ``new_shape`` over the same extent as ``old_shape``."""
    scale = np.asarray(old_shape, float) / np.asarray(new_shape, float)
    step = np.eye(4)
    step[:3, :3] = np.diag(scale)
    step[:3, 3] = 0.5 * scale - 0.5
    return np.asarray(affine, float) @ step
