"""Features of a case: volumes, ratios, lesions and location by hand; PyRadiomics names."""

import numpy as np
import pytest

from conftest import encode, fake_volumes, make_suffixed, save
from smart_brains.classification.features import (
    case_features,
    ibsi_family,
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


def _big_case(root, spacing=1.0, seed=0):
    """A 1 mm case large enough for every sub-region at the 2 mm feature spacing (ET absent)."""
    shape = tuple(int(n / spacing) for n in (40, 40, 32))
    images, _ = fake_volumes(seed, shape)
    labels = np.zeros(shape, np.uint8)
    box = lambda lo, hi: tuple(slice(int(a / spacing), int(b / spacing)) for a, b in zip(lo, hi))  # noqa: E731
    labels[box((8, 8, 6), (30, 30, 24))] = ED
    labels[box((14, 14, 10), (24, 24, 20))] = NCR
    affine = np.diag([-spacing, -spacing, spacing, 1.0])
    folder = root / "BraTS2021_00000"
    for name, data in zip(("t1", "t1ce", "t2", "flair"), images):
        save(data, folder / f"BraTS2021_00000_{name}.nii.gz", affine)
    save(encode(labels, "brats2021"), folder / "BraTS2021_00000_seg.nii.gz", affine)
    return discover(root)[0]


def test_radiomics_of_every_subregion_and_modality(tmp_path):
    f = case_features(_big_case(tmp_path))
    for name in ("ED_flair_firstorder_Mean", "WT_t1ce_glcm_Contrast", "TC_t2_glszm_ZoneEntropy",
                 "NCR_t1_glrlm_RunEntropy", "WT_shape_VoxelVolume", "volume_TC_cm3"):  # fmt: skip
        assert np.isfinite(f[name]), name
    assert not any(k.startswith("ET_") for k in f)  # no enhancing tumour: no ET features
    families = {ibsi_family(k) for k in f}
    assert families == {
        "morphology", "intensity-based statistics", "grey level co-occurrence matrix",
        "grey level run length matrix", "grey level size zone matrix", "not IBSI",
    }  # fmt: skip
    assert ibsi_family("volume_TC_cm3") == "not IBSI"


def test_a_scan_at_1_and_at_2_mm_gives_the_same_features(tmp_path):
    """Features at one fixed spacing: the same tumour scanned at 1 mm and at 2 mm."""
    fine = case_features(_big_case(tmp_path / "fine", 1.0), radiomics=False)
    coarse = case_features(_big_case(tmp_path / "coarse", 2.0), radiomics=False)
    for name in ("volume_WT_cm3", "volume_TC_cm3", "volume_ED_cm3", "ratio_NCR_TC"):
        assert fine[name] == pytest.approx(coarse[name], rel=0.05), name


def test_every_feature_is_computed_on_the_fixed_grid(tmp_path, monkeypatch):
    """A spy on what reaches radiomics and the morphology: the 2 mm grid, whatever the scan's
    (without the resampling both would see the 1 mm scan's 40 x 40 x 32 voxels at 1 mm)."""
    from smart_brains.classification import features

    seen = []

    def spy(name, real):
        def wrapper(*args, **kwargs):
            seen.append((name, np.asarray(args[0]).shape[-3:], tuple(args[2])))  # image or labels
            return real(*args, **kwargs) if name == "morphology" else {}

        return wrapper

    monkeypatch.setattr(
        features, "radiomics_features", spy("radiomics", features.radiomics_features)
    )
    monkeypatch.setattr(
        features, "morphology_features", spy("morphology", features.morphology_features)
    )
    for spacing in (1.0, 2.0):
        case_features(_big_case(tmp_path / str(spacing), spacing), radiomics=True)
    assert sorted(set(seen)) == [
        ("morphology", (20, 20, 16), (2.0, 2.0, 2.0)),
        ("radiomics", (20, 20, 16), (2.0, 2.0, 2.0)),
    ]
    assert len(seen) == 4


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
