"""Write label maps as NIfTI with the source's exact affine, header and shape."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np

from smart_brains.data.labels import convention_record
from smart_brains.paths import atomic_path


def segmentation_image(
    labels: np.ndarray, affine: np.ndarray, header: nib.Nifti1Header, convention: str | None = None
) -> nib.Nifti1Image:
    """A uint8 NIfTI of ``labels`` (X, Y, Z) on the grid of ``header``/``affine``.

    The header is copied (qform/sform codes, units kept); data type becomes uint8, scaling is
    reset, a 4D source header (MSD) is reduced to 3D, and with ``convention`` the description
    records the label convention the values are in (``labels.convention_record``), which every
    reader of label maps checks.
    """
    hdr = header.copy()
    if convention is not None:
        hdr["descrip"] = convention_record(convention)
    hdr.set_data_dtype(np.uint8)
    hdr.set_data_shape(labels.shape)
    hdr.set_slope_inter(1.0, 0.0)
    img = nib.Nifti1Image(labels.astype(np.uint8), affine, hdr)
    img.set_qform(affine, code=int(header["qform_code"]) or 1)
    img.set_sform(affine, code=int(header["sform_code"]) or 1)
    return img


def _atomic_save(img: nib.Nifti1Image, path: Path) -> Path:
    """Save to a hidden temporary file in the same folder, then rename: never a partial file."""
    with atomic_path(path) as tmp:
        nib.save(img, str(tmp))
    return path


def write_float_maps(
    maps: np.ndarray, affine: np.ndarray, header: nib.Nifti1Header, path: Path
) -> Path:
    """Write (K, X, Y, Z) float maps as a float32 NIfTI (X, Y, Z, K) on the grid of ``header``
    (NIfTI-1 has no float16), atomically."""
    data = np.moveaxis(np.asarray(maps, np.float32), 0, -1)
    hdr = header.copy()
    hdr.set_data_dtype(np.float32)
    hdr.set_data_shape(data.shape)
    hdr.set_slope_inter(1.0, 0.0)
    img = nib.Nifti1Image(data, affine, hdr)
    img.set_qform(affine, code=int(header["qform_code"]) or 1)
    img.set_sform(affine, code=int(header["sform_code"]) or 1)
    return _atomic_save(img, path)


def write_segmentation(
    labels: np.ndarray,
    affine: np.ndarray,
    header: nib.Nifti1Header,
    path: Path,
    convention: str | None = None,
) -> Path:
    """Write a label map atomically (``segmentation_image``), recording ``convention``."""
    return _atomic_save(segmentation_image(labels, affine, header, convention), path)
