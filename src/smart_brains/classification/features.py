"""Case-level features from a segmentation and the four images: radiomics of every sub-region
in every modality (PyRadiomics), plus volumes, ratios, lesion counts and location.

PyRadiomics (``pyradiomics-bhklab`` on PyPI, the maintained fork of the field's reference
library, IBSI-compliant feature definitions; the original ``pyradiomics`` 3.1.0 has wheels only
up to Python 3.9) computes, for each sub-region NCR, ED, ET, TC, WT:

- ``shape`` features once (volume, surface, sphericity, elongation, ...), and
- in every modality, after a z-score inside the brain: ``firstorder``, ``glcm``, ``glrlm`` and
  ``glszm`` texture features.

Settings (``FEATURE_SETTINGS``, saved with every fitted model and checked when it loads), as
PyRadiomics and IBSI recommend for normalised MR: every case is first resampled to one
isotropic spacing (``spacing_mm``: images linearly, labels by nearest neighbour), so a 1 mm
and a 2 mm scan of the same tumour give the same features; a fixed bin width on the z-scores
(``bin_width``) instead of a bin count; intensities shifted by ``voxel_array_shift`` so that
energy, total energy and RMS see positive values; a sub-region under ``min_region_mm3`` gets
NaN features (the classifier's imputer fills them), so an absent enhancing tumour is allowed.
Images are cropped to the whole tumour (plus 2 voxels) before extraction.

Feature names: ``{region}_{modality}_{class}_{feature}`` (e.g. ``ET_t1ce_glcm_Contrast``),
``{region}_shape_{feature}``, ``volume_{region}_cm3``, ``ratio_{a}_{b}``, ``lesions_{region}``,
``location_*``. ``VOLUME_FEATURES`` are the baseline's inputs.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import ndimage

from smart_brains.data.discovery import Case
from smart_brains.data.labels import ED, ET, NCR
from smart_brains.data.loading import load_case
from smart_brains.data.preprocess import zscore_in_mask
from smart_brains.data.resample import resize, same_spacing, shape_at, spacing_of
from smart_brains.data.segmentations import read_label_map
from smart_brains.errors import DataError
from smart_brains.parallel import map_cases

SUB_REGIONS: dict[str, tuple[int, ...]] = {
    "NCR": (NCR,),
    "ED": (ED,),
    "ET": (ET,),
    "TC": (NCR, ET),
    "WT": (NCR, ED, ET),
}
TEXTURE_CLASSES = ("firstorder", "glcm", "glrlm", "glszm")
VOLUME_FEATURES = ("volume_WT_cm3", "volume_TC_cm3", "volume_ET_cm3")
FEATURE_SETTINGS = {
    "spacing_mm": 2.0,  # BraTS is 1 mm, the embedded cohort 2 mm: the coarser one for both
    "bin_width": 0.25,  # z-score units: about 32 bins over a tumour's range
    "voxel_array_shift": 10.0,  # z-scores stay above -10
    "min_region_mm3": 64.0,
}


def _extractor(classes: Sequence[str]):  # radiomics is imported lazily: it is slow to import
    from radiomics import featureextractor

    logging.getLogger("radiomics").setLevel(logging.ERROR)
    extractor = featureextractor.RadiomicsFeatureExtractor(
        binWidth=FEATURE_SETTINGS["bin_width"],
        voxelArrayShift=FEATURE_SETTINGS["voxel_array_shift"],
        additionalInfo=False,
    )
    extractor.disableAllFeatures()
    for name in classes:
        extractor.enableFeatureClassByName(name)
    return extractor


def _sitk(array: np.ndarray, spacing: tuple[float, float, float]):
    """SimpleITK image of a numpy (X, Y, Z) array: SimpleITK reads the last axis as its x."""
    import SimpleITK as sitk

    image = sitk.GetImageFromArray(np.ascontiguousarray(array))
    image.SetSpacing(tuple(float(s) for s in spacing[::-1]))
    return image


def radiomics_features(
    image: np.ndarray,
    labels: np.ndarray,
    spacing: tuple[float, float, float],
    modalities: Sequence[str],
) -> dict[str, float]:
    """PyRadiomics features of every sub-region.

    Args:
        image: (C, X, Y, Z) float32, z-scored inside the brain.
        labels: (X, Y, Z) internal labels.
        spacing: voxel size in mm along X, Y, Z.
        modalities: the names of the C channels.
    """
    texture, shape = _extractor(TEXTURE_CLASSES), _extractor(("shape",))
    out: dict[str, float] = {}
    wt = labels > 0
    if wt.any():
        idx = np.argwhere(wt)
        box = tuple(slice(max(a - 2, 0), b + 3) for a, b in zip(idx.min(0), idx.max(0)))
        labels, image = labels[box], image[(slice(None), *box)]
    images = [_sitk(image[c], spacing) for c in range(len(modalities))]
    for region, values in SUB_REGIONS.items():
        mask = np.isin(labels, values)
        enough = float(mask.sum()) * float(np.prod(spacing)) >= FEATURE_SETTINGS["min_region_mm3"]
        sitk_mask = _sitk(mask.astype(np.uint8), spacing) if enough else None
        for name, value in _execute(shape, images[0], sitk_mask).items():
            out[f"{region}_{name}"] = value
        for modality, img in zip(modalities, images):
            for name, value in _execute(texture, img, sitk_mask).items():
                out[f"{region}_{modality}_{name}"] = value
    return out


# PyRadiomics feature classes -> the IBSI reference manual's family names (Zwanenburg et al.,
# Radiology 2020); volumes, ratios and location features are this package's own.
IBSI_FAMILIES = {
    "shape": "morphology",
    "firstorder": "intensity-based statistics",
    "glcm": "grey level co-occurrence matrix",
    "glrlm": "grey level run length matrix",
    "glszm": "grey level size zone matrix",
}


def ibsi_family(feature: str) -> str:
    """The IBSI family of a feature column (``ET_t1ce_glcm_Contrast`` -> grey level
    co-occurrence matrix); ``not IBSI`` for volumes, ratios and location."""
    return next((IBSI_FAMILIES[t] for t in feature.split("_") if t in IBSI_FAMILIES), "not IBSI")


def _execute(extractor, image, mask) -> dict[str, float]:
    """``extractor``'s features, named ``class_feature``; none when ``mask`` is None (the
    feature table then holds NaN there)."""
    if mask is None:
        return {}
    result = extractor.execute(image, mask)
    return {k.removeprefix("original_"): float(v) for k, v in result.items()}


def morphology_features(
    labels: np.ndarray, brain: np.ndarray, spacing: tuple[float, float, float]
) -> dict[str, float]:
    """Volumes (cm^3), ratios, connected lesions and location of the tumour.

    Location: the whole tumour's centroid relative to the brain's centroid (mm; left-right as an
    absolute distance from the midline), and its mean and smallest distance to the brain's
    surface (mm, on a grid of about 2 mm): extra-axial tumours (meningioma) sit on it, deep
    gliomas do not.
    """
    voxel_cm3 = float(np.prod(spacing)) / 1000.0
    masks = {r: np.isin(labels, v) for r, v in SUB_REGIONS.items()}
    out = {f"volume_{r}_cm3": float(m.sum()) * voxel_cm3 for r, m in masks.items()}

    def ratio(a: str, b: str) -> float:
        return out[f"volume_{a}_cm3"] / out[f"volume_{b}_cm3"] if out[f"volume_{b}_cm3"] else 0.0

    out.update(
        ratio_ET_TC=ratio("ET", "TC"),
        ratio_NCR_TC=ratio("NCR", "TC"),
        ratio_TC_WT=ratio("TC", "WT"),
        ratio_ED_WT=ratio("ED", "WT"),
    )
    structure = np.ones((3, 3, 3), bool)
    for region in ("WT", "ET"):
        out[f"lesions_{region}"] = float(ndimage.label(masks[region], structure)[1])
    wt = masks["WT"]
    if wt.any() and brain.any():
        step = np.asarray(spacing)
        offset = (np.argwhere(wt).mean(0) - np.argwhere(brain).mean(0)) * step
        # depth below the surface on a grid of about 2 mm (8 times cheaper at 1 mm; the
        # feature needs no finer precision)
        step = max(1, int(round(2.0 / min(spacing))))
        coarse = (slice(None, None, step),) * 3
        if not wt[coarse].any():
            coarse, step = (slice(None),) * 3, 1
        sampling = tuple(float(s) * step for s in spacing)
        depth = ndimage.distance_transform_edt(brain[coarse], sampling=sampling)[wt[coarse]]
        out.update(
            location_lr_mm=float(abs(offset[0])),
            location_ap_mm=float(offset[1]),
            location_si_mm=float(offset[2]),
            location_depth_mean_mm=float(depth.mean()),
            location_depth_min_mm=float(depth.min()),
        )
    else:
        out.update(dict.fromkeys(
            ("location_lr_mm", "location_ap_mm", "location_si_mm", "location_depth_mean_mm",
             "location_depth_min_mm"), float("nan"),
        ))  # fmt: skip
    return out


def case_features(
    case: Case, seg_path: Path | None = None, radiomics: bool = True
) -> dict[str, float]:
    """All features of one case from its reference segmentation, or from ``seg_path`` (a
    prediction on the case's grid, in the case's label convention)."""
    loaded = load_case(case)
    if seg_path is not None:
        labels, img = read_label_map(seg_path, case, "segmentation")
        if labels.shape != loaded.image.shape[1:]:
            raise DataError(
                f"case {case.case_id}: {seg_path}: shape {labels.shape} differs from the images "
                f"{loaded.image.shape[1:]}; segment the case with `smart-brains predict`"
            )
    elif loaded.seg is None:
        raise DataError(
            f"case {case.case_id}: no reference segmentation; give predicted ones with --seg"
        )
    else:
        labels = loaded.seg
    image, labels, spacing = at_feature_spacing(loaded.image, labels, spacing_of(loaded.affine))
    brain = np.any(image != 0, axis=0)
    features = morphology_features(labels, brain, spacing)
    if radiomics:
        image = zscore_in_mask(image, brain)
        features.update(radiomics_features(image, labels, spacing, loaded.modalities))
    return features


def at_feature_spacing(
    image: np.ndarray, labels: np.ndarray, spacing: tuple[float, float, float]
) -> tuple[np.ndarray, np.ndarray, tuple[float, float, float]]:
    """(C, X, Y, Z) image and (X, Y, Z) labels resampled to ``FEATURE_SETTINGS["spacing_mm"]``
    (as they are when already there), and that spacing."""
    target = (FEATURE_SETTINGS["spacing_mm"],) * 3
    if same_spacing(spacing, target):
        return image, labels, spacing
    shape = shape_at(labels.shape, spacing, target)
    return resize(image.astype(np.float32), shape), resize(labels, shape, labels=True), target


def _job(args: tuple[Case, Path | None, bool]) -> dict[str, float]:
    return case_features(*args)


def feature_table(
    cases: Sequence[Case],
    seg_paths: dict[str, Path] | None = None,
    radiomics: bool = True,
    workers: int = 1,
    progress: bool = True,
) -> pd.DataFrame:
    """Features of ``cases`` (rows, indexed by case id), from ``seg_paths`` (case id -> file)
    where given, else from the references."""
    jobs = [(c, (seg_paths or {}).get(c.case_id), radiomics) for c in cases]
    rows = list(map_cases(_job, jobs, workers, "features", progress))
    table = pd.DataFrame(rows, index=pd.Index([c.case_id for c in cases], name="case_id"))
    return table.astype(np.float64)
