"""An interactive viewer of a case and its segmentation: one self-contained HTML file.

The page uses niivue (BSD-2; its UMD bundle vendored in ``vendor/niivue.umd.js``, see
``vendor/NOTICE.md``), inlined with the volumes, so it opens offline and fetches nothing: the
four modalities switchable, the segmentation over them in the report's label colours with an
opacity slider, three linked planes with a crosshair (or one plane, or a 3D render), the
position and label under the crosshair, and each sub-region's volume.

Sizes: backgrounds are stored as uint8 (0.5-99.5 percentiles of the brain), shrunk by whole
factors until they have at most ``max_background_voxels`` voxels (a 240 x 240 x 155 BraTS case:
a factor of 2); labels stay at full resolution, drawn on an empty grid of their own (niivue
draws everything on its first volume's grid), so a BraTS case's page is about 4 MB, 2.3 MB of
it niivue.
"""

from __future__ import annotations

import base64
import gzip
import html
import json
from dataclasses import dataclass, field
from pathlib import Path

import nibabel as nib
import numpy as np

from smart_brains.data.labels import ED, ET, NCR
from smart_brains.reports.figures import LABEL_COLOURS

VENDOR = Path(__file__).parent / "vendor"
NAMES = {NCR: "NCR/NET", ED: "ED", ET: "ET"}


def nifti_base64(data: np.ndarray, affine: np.ndarray) -> str:
    """``data`` (X, Y, Z) as a gzipped NIfTI-1 file, base64-encoded (both forms of the affine
    set, as the files it came from have them)."""
    img = nib.Nifti1Image(data, affine)
    img.set_qform(affine, code=1)
    img.set_sform(affine, code=1)
    return base64.b64encode(gzip.compress(img.to_bytes(), 6)).decode("ascii")


def display_uint8(image: np.ndarray) -> np.ndarray:
    """(X, Y, Z) intensities -> uint8 spanning the 0.5-99.5 percentiles of the non-zero voxels
    (the brain of a skull-stripped scan); zero stays zero."""
    inside = image[image > 0]
    if inside.size == 0:
        return np.zeros(image.shape, np.uint8)
    low, high = np.percentile(inside, [0.5, 99.5])
    scaled = (image.astype(np.float32) - low) / max(float(high - low), 1e-6) * 254 + 1
    return np.where(image > 0, np.clip(scaled, 1, 255), 0).astype(np.uint8)


def shrink(image: np.ndarray, affine: np.ndarray, max_voxels: int) -> tuple[np.ndarray, np.ndarray]:
    """(X, Y, Z) ``image`` and its affine, averaged over blocks of f^3 voxels with the smallest
    whole f that leaves at most ``max_voxels`` voxels (f = 1: unchanged)."""
    factor = 1
    while np.prod([int(np.ceil(n / factor)) for n in image.shape]) > max_voxels:
        factor += 1
    if factor == 1:
        return image, affine
    pad = [(0, (-n) % factor) for n in image.shape]
    x = np.pad(image.astype(np.float32), pad)
    s = [n // factor for n in x.shape]
    small = x.reshape(s[0], factor, s[1], factor, s[2], factor).mean((1, 3, 5))
    step = np.diag([factor, factor, factor, 1.0])
    step[:3, 3] = (factor - 1) / 2  # a block's centre, in input voxels
    return small, affine @ step


def region_volumes(labels: np.ndarray, voxel_mm3: float) -> list[tuple[str, float, str]]:
    """(name, cm^3, colour) per sub-region and per BraTS region (WT, TC, ET) of internal
    ``labels``."""
    cm3 = {k: float((labels == k).sum()) * voxel_mm3 / 1000 for k in (NCR, ED, ET)}

    def hex_colour(label: int) -> str:
        return "#" + "".join(f"{int(round(c * 255)):02x}" for c in LABEL_COLOURS[label])

    rows = [(NAMES[k], cm3[k], hex_colour(k)) for k in (NCR, ED, ET)]
    rows += [("WT", sum(cm3.values()), ""), ("TC", cm3[NCR] + cm3[ET], ""), ("ET", cm3[ET], "")]
    return rows


def _colormap() -> dict:
    """niivue's label colour map for internal labels 0-3 (0 transparent)."""
    colours = [(0.0, 0.0, 0.0)] + [LABEL_COLOURS[k] for k in (NCR, ED, ET)]
    return {
        "R": [int(round(c[0] * 255)) for c in colours],
        "G": [int(round(c[1] * 255)) for c in colours],
        "B": [int(round(c[2] * 255)) for c in colours],
        "A": [0, 255, 255, 255],
        "I": [0, 1, 2, 3],
        "labels": ["", "NCR/NET", "ED", "ET"],
    }


@dataclass(frozen=True)
class ViewerCase:
    """One case in a viewer page.

    Attributes:
        case_id: its name (a button when the page has several cases).
        images: modality name -> (X, Y, Z) intensities on the grid of ``affine``; the last one
            (FLAIR for BraTS) shows first.
        affine: (4, 4) voxel -> world mm of the images and label maps.
        segmentations: name -> (X, Y, Z) internal labels (0-3) on the same grid, e.g.
            'prediction' and 'reference' (a button each when there are several); may be empty.
        subtitle: plain text shown beside the title for this case.
    """

    case_id: str
    images: dict[str, np.ndarray]
    affine: np.ndarray
    segmentations: dict[str, np.ndarray] = field(default_factory=dict)
    subtitle: str = ""


def _case_data(case: ViewerCase, max_background_voxels: int) -> dict:
    spacing = np.sqrt((np.asarray(case.affine)[:3, :3] ** 2).sum(0))
    shape = next(iter(case.images.values())).shape
    images = {}
    for name, image in case.images.items():
        small, small_affine = shrink(image, case.affine, max_background_voxels)
        images[name] = nifti_base64(display_uint8(small), small_affine)
    segmentations, centre = [], None
    for name, labels in case.segmentations.items():
        segmentations.append({
            "name": name,
            "labels": nifti_base64(labels.astype(np.uint8), case.affine),
            "volumes": region_volumes(labels, float(np.prod(spacing))),
        })  # fmt: skip
        if centre is None and (labels > 0).any():
            middle = np.argwhere(labels > 0).mean(0)
            centre = [float(v) for v in case.affine[:3, :3] @ middle + case.affine[:3, 3]]
    return {
        "id": case.case_id,
        "subtitle": case.subtitle,
        "grid": nifti_base64(np.zeros(shape, np.uint8), case.affine),
        "images": images,
        "first": list(case.images)[-1],
        "segmentations": segmentations,
        "centre": centre,
    }


def viewer_html(
    title: str, cases: list[ViewerCase], note: str = "", max_background_voxels: int = 2_000_000
) -> str:
    """The page of one or several ``cases`` (a button each), under ``title``; ``note``: plain
    text beside the planes."""
    data = {
        "cases": [_case_data(c, max_background_voxels) for c in cases],
        "colormap": _colormap(),
    }
    page = (VENDOR / "viewer.html").read_text()
    page = page.replace("__NOTE__", _escape(note)).replace("__TITLE__", _escape(title))
    page = page.replace("__DATA__", json.dumps(data))
    return page.replace("__NIIVUE__", (VENDOR / "niivue.umd.js").read_text())


def embedded(page: str, height_px: int = 760) -> str:
    """A viewer ``page`` as an <iframe> inside another page (its own scripts and styles)."""
    return (
        f'<iframe srcdoc="{html.escape(page, quote=True)}" style="width:100%;'
        f'height:{height_px}px;border:1px solid #ddd" title="interactive viewer"></iframe>'
    )


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
