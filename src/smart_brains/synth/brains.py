"""Source brains of the synthetic cohort: every real brain available without a download.

- ``mni2009a``: the ICBM 2009a symmetric template, 1 mm, shipped inside nilearn's wheel (the
  training brain of the embedded cohort);
- ``avg152``: FSL's MNI152 average at 2 mm (nilearn 0.7's ``avg152T1_brain``, shipped in this
  package, see ``synth/data/NOTICE.md``): another population, registration and resolution (the
  held-out test brain);
- a BraTS case folder (for example ``../shared/data/real-case/TCGA-FG-6692``): one patient's
  skull-stripped T1, with its tumour masked (replaced by white matter) when a ``seg`` file is there.

Each T1 is mapped to a common intensity scale before use: a three-class 1D k-means of the brain's
voxels finds the CSF, grey and white matter levels, and a piecewise-linear map sends them to
``CSF_LEVEL, GM_LEVEL, WM_LEVEL``, so ``anatomy.tissue_fractions`` unmixes any source the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import nibabel as nib
import numpy as np
from scipy import ndimage

from smart_brains.errors import DataError

# Common T1 intensity (0..1) at pure CSF, grey matter and white matter.
CSF_LEVEL, GM_LEVEL, WM_LEVEL = 0.25, 0.65, 0.86
BUILT_IN = ("mni2009a", "avg152")


@dataclass(frozen=True)
class Template:
    """One source brain. t1: (X, Y, Z) float32 on the common scale, 0 outside the brain;
    affine: voxel -> world mm. Landmarks are (3,) world mm."""

    name: str
    t1: np.ndarray
    affine: np.ndarray
    centre_mm: np.ndarray  # centroid of the brain
    ventricles_mm: np.ndarray  # centroid of the deep CSF (the lateral ventricles)


def tissue_levels(values: np.ndarray, iterations: int = 30) -> np.ndarray:
    """Three sorted class centres of 1D ``values`` (brain voxels) by k-means (Lloyd)."""
    centres = np.percentile(values, [10, 50, 90]).astype(np.float64)
    for _ in range(iterations):
        nearest = np.abs(values[:, None] - centres[None]).argmin(1)
        centres = np.array(
            [values[nearest == k].mean() if (nearest == k).any() else centres[k] for k in range(3)]
        )
    return np.sort(centres)


def to_common_scale(t1: np.ndarray, brain: np.ndarray) -> np.ndarray:
    """(X, Y, Z) raw T1 -> float32 on the common scale (CSF/GM/WM levels), 0 outside ``brain``."""
    values = t1[brain].astype(np.float64)
    sample = values[:: max(1, len(values) // 200_000)]
    csf, gm, wm = tissue_levels(sample)
    slope = (WM_LEVEL - GM_LEVEL) / (wm - gm)
    top = wm + (1.0 - WM_LEVEL) / slope
    out = np.interp(t1, [0.0, csf, gm, wm, top], [0.0, CSF_LEVEL, GM_LEVEL, WM_LEVEL, 1.0])
    return np.where(brain, np.clip(out, 0.01, 1.0), 0.0).astype(np.float32)


def _nilearn_mni2009a() -> Path:
    import nilearn  # imported here: only synthesis needs nilearn

    return (
        Path(nilearn.__file__).parent
        / "datasets"
        / "data"
        / "mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz"
    )


def _case_files(folder: Path) -> tuple[Path, Path | None]:
    """The T1 file and reference segmentation (or None) of a case folder, in any layout."""
    from smart_brains.data.discovery import discover

    cases = discover(folder)
    if len(cases) != 1:
        raise DataError(f"{folder}: {len(cases)} cases found; give the folder of one case")
    case = cases[0]
    if case.images[0].channel is not None:
        raise DataError(f"{folder}: a 4D image; give a case folder with a 3D T1 file")
    return case.images[0].path, case.seg


@lru_cache(maxsize=4)
def load_template(source: str = "mni2009a") -> Template:
    """A source brain by name (``BUILT_IN``) or BraTS case folder path (cached per process)."""
    seg_path = None
    if source == "mni2009a":
        path = _nilearn_mni2009a()
    elif source == "avg152":
        path = Path(__file__).parent / "data" / "avg152T1_brain.nii.gz"
    elif Path(source).is_dir():
        path, seg_path = _case_files(Path(source))
    else:
        raise DataError(
            f"--brain {source}: not a built-in brain ({', '.join(BUILT_IN)}) nor a case folder"
        )
    img = nib.load(str(path))
    raw = np.asarray(img.dataobj, dtype=np.float32)
    brain = raw > 0.02 * np.percentile(raw[raw > 0], 99)
    brain = ndimage.binary_fill_holes(brain)
    t1 = to_common_scale(raw, brain)
    if seg_path is not None:  # mask the patient's own tumour: white matter in its place
        tumour = np.asarray(nib.load(str(seg_path)).dataobj) > 0
        tumour = ndimage.binary_dilation(tumour, iterations=2) & brain
        t1[tumour] = WM_LEVEL
    spacing = float(np.mean(np.abs(np.linalg.eigvals(img.affine[:3, :3]))))
    depth = ndimage.distance_transform_edt(brain) * spacing
    ventricles = (t1 < 0.4) & (depth >= 15) & brain
    rot, shift = img.affine[:3, :3], img.affine[:3, 3]
    centre = np.array(ndimage.center_of_mass(brain))
    deep_csf = np.array(ndimage.center_of_mass(ventricles)) if ventricles.any() else centre
    return Template(Path(source).name, t1, img.affine, rot @ centre + shift, rot @ deep_csf + shift)
