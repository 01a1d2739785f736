"""Features of a case: volumes, ratios, lesions and location by hand; PyRadiomics names."""

import numpy as np
import pytest

from conftest import make_suffixed
from smart_brains.classification.features import (
    case_features,
    morphology_features,
    radiomics_features,
)
from smart_brains.data.discovery import discover
from smart_brains.data.labels import ED, ET, NCR
from smart_brains.errors import DataError


def test_volumes_ratios_lesions_and_depth():
    labels = np.zeros((30, 30, 30), np.uint8)
    labels[10:20, 10:20, 10:20] = ED  # 1000 voxels
    labels[12:16, 12:16, 12:16] = NCR  # 64
    labels[16:18, 12:16, 12:16] = ET  # 32
    labels[2:4, 2:4, 2:4] = ET  # a second enhancing lesion, 8 voxels
    brain = np.zeros_like(labels, bool)
    brain[1:29, 1:29, 1:29] = True
    f = morphology_features(labels, brain, (2.0, 2.0, 2.0))
    assert f["volume_WT_cm3"] == pytest.approx((1000 + 8) * 8 / 1000)
    assert f["volume_ET_cm3"] == pytest.approx(40 * 8 / 1000)
    assert f["ratio_ET_TC"] == pytest.approx(40 / 104)
    assert (f["lesions_WT"], f["lesions_ET"]) == (2, 2)
    assert f["location_depth_min_mm"] == pytest.approx(4.0)  # 2 voxels of 2 mm from the edge


def test_radiomics_of_every_subregion_and_modality(tmp_path):
    case = discover(make_suffixed(tmp_path, "BraTS2021_00000").parent)[0]
    f = case_features(case)
    for name in ("ED_flair_firstorder_Mean", "WT_t1ce_glcm_Contrast", "TC_t2_glszm_ZoneEntropy",
                 "NCR_t1_glrlm_RunEntropy", "WT_shape_VoxelVolume", "volume_TC_cm3"):  # fmt: skip
        assert np.isfinite(f[name]), name
    assert not any(k.startswith("ET_") for k in f)  # 4 enhancing voxels: below the minimum


def test_a_prediction_on_another_grid_is_refused(tmp_path):
    import nibabel as nib

    case = discover(make_suffixed(tmp_path, "BraTS2021_00000").parent)[0]
    nib.save(nib.Nifti1Image(np.zeros((5, 5, 5), np.uint8), np.eye(4)), str(tmp_path / "p.nii.gz"))
    with pytest.raises(DataError, match="p.nii.gz"):
        case_features(case, tmp_path / "p.nii.gz")


def test_radiomics_values_match_what_the_voxels_say():
    """First-order mean and maximum, and the voxel volume, against numpy on a known image; an
    anisotropic spacing checks that X, Y, Z reach SimpleITK in the right order."""
    rng = np.random.default_rng(0)
    labels = np.zeros((20, 18, 16), np.uint8)
    labels[4:14, 3:12, 2:10] = 2  # oedema
    labels[7:10, 5:9, 4:7] = 1  # necrosis inside it
    image = rng.normal(size=(1, *labels.shape)).astype(np.float32)
    spacing = (1.0, 1.5, 2.0)
    f = radiomics_features(image, labels, spacing, ("flair",))
    ed = labels == 2
    assert f["ED_flair_firstorder_Mean"] == pytest.approx(float(image[0][ed].mean()), rel=1e-5)
    assert f["ED_flair_firstorder_Maximum"] == pytest.approx(float(image[0][ed].max()), rel=1e-5)
    assert f["WT_shape_VoxelVolume"] == pytest.approx((labels > 0).sum() * 1.0 * 1.5 * 2.0)
    assert f["NCR_shape_VoxelVolume"] == pytest.approx(3 * 4 * 3 * 3.0)
