"""Pure array functions for preparing a case: crop to the brain, normalise, put back.

Arrays are (C, X, Y, Z) images or (X, Y, Z) label maps; a box is ((x0, x1), (y0, y1), (z0, z1))
in voxels, half-open, on the original grid.
"""

from __future__ import annotations

import numpy as np

Box = tuple[tuple[int, int], tuple[int, int], tuple[int, int]]


def brain_box(image: np.ndarray, margin_vox: int = 0) -> Box:
    """Bounding box of voxels that are non-zero in any channel of ``image`` (C, X, Y, Z).

    Raises:
        ValueError: every voxel is zero.
    """
    nonzero = np.any(image != 0, axis=0)
    if not nonzero.any():
        raise ValueError("the images are all zero: nothing to crop to")
    box = []
    for axis in range(3):
        other = tuple(a for a in range(3) if a != axis)
        idx = np.flatnonzero(nonzero.any(axis=other))
        lo = max(int(idx[0]) - margin_vox, 0)
        hi = min(int(idx[-1]) + 1 + margin_vox, nonzero.shape[axis])
        box.append((lo, hi))
    return (box[0], box[1], box[2])


def crop(array: np.ndarray, box: Box) -> np.ndarray:
    """Crop the last three axes of ``array`` to ``box`` (a view, not a copy)."""
    (x0, x1), (y0, y1), (z0, z1) = box
    return array[..., x0:x1, y0:y1, z0:z1]


def uncrop(array: np.ndarray, box: Box, shape: tuple[int, int, int], fill: float = 0) -> np.ndarray:
    """Inverse of ``crop``: place ``array`` (..., x, y, z) into a ``fill``-ed (..., *shape)."""
    out = np.full((*array.shape[:-3], *shape), fill, dtype=array.dtype)
    (x0, x1), (y0, y1), (z0, z1) = box
    out[..., x0:x1, y0:y1, z0:z1] = array
    return out


def zscore_in_mask(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Z-score each channel of ``image`` (C, ...) over ``mask`` (...); zero outside the mask.

    Returns float32. A channel that is constant inside the mask becomes zero.
    """
    out = np.zeros(image.shape, dtype=np.float32)
    if not mask.any():
        return out
    for c in range(image.shape[0]):
        values = image[c][mask].astype(np.float64)
        mean, std = values.mean(), values.std()
        out[c][mask] = (values - mean) / std if std > 0 else 0.0
    return out


def normalise_case(image: np.ndarray) -> tuple[np.ndarray, Box]:
    """Crop ``image`` (C, X, Y, Z) to the brain and z-score each modality inside it.

    The brain is where any modality is non-zero (BraTS data are skull-stripped with zero
    background). Returns the cropped, normalised float32 image and the crop box.
    """
    box = brain_box(image)
    cropped = crop(image, box)
    mask = np.any(cropped != 0, axis=0)
    return zscore_in_mask(cropped, mask), box


def extract_patch(
    array: np.ndarray, corner: tuple[int, int, int], patch: tuple[int, int, int]
) -> np.ndarray:
    """Cut (..., *patch) from (..., X, Y, Z) at ``corner``, zero-padding outside the volume."""
    out = np.zeros((*array.shape[:-3], *patch), dtype=array.dtype)
    src, dst = [], []
    for c, p, n in zip(corner, patch, array.shape[-3:]):
        lo, hi = max(c, 0), min(c + p, n)
        src.append(slice(lo, max(hi, lo)))
        dst.append(slice(lo - c, lo - c + max(hi - lo, 0)))
    out[(..., *dst)] = array[(..., *src)]
    return out
