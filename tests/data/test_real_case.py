"""The real glioma case in ../shared/data/real-case (present in this workplace and in CI)."""

import nibabel as nib
import numpy as np
import pytest

from conftest import REAL_CASE
from smart_brains.cli import main
from smart_brains.data.cache import open_case, prepare
from smart_brains.data.discovery import discover
from smart_brains.data.loading import load_case
from smart_brains.data.preprocess import uncrop

pytestmark = pytest.mark.skipif(
    not REAL_CASE.is_dir(), reason=f"real case not found at {REAL_CASE}"
)


def test_discovered_as_brats2021():
    (case,) = discover(REAL_CASE)
    assert case.case_id == "TCGA-FG-6692"
    assert case.layout == "brats2021" and case.seg is not None


def test_check_passes(capsys):
    assert main(["check", str(REAL_CASE)]) == 0
    assert "1 usable cases (1 with a reference)" in capsys.readouterr().out


def test_load_keeps_brats_geometry():
    loaded = load_case(discover(REAL_CASE)[0])
    assert loaded.image.shape == (4, 240, 240, 155)
    assert np.array_equal(
        loaded.affine, np.array([[-1, 0, 0, 0], [0, -1, 0, 239], [0, 0, 1, 0], [0, 0, 0, 1]])
    )
    assert set(np.unique(loaded.seg)) == {0, 1, 2, 3}


def test_prepare_and_uncrop_restores_reference_exactly(tmp_path):
    prepare(REAL_CASE, tmp_path / "cache", progress=False)
    case = open_case(tmp_path / "cache", "TCGA-FG-6692")
    assert case.image.shape[1:] == tuple(b - a for a, b in case.box)
    assert all(np.isfinite(case.image[c]).all() for c in range(4))
    ref = np.asarray(nib.load(str(REAL_CASE / "TCGA-FG-6692_seg.nii.gz")).dataobj)
    internal = np.where(ref == 4, 3, ref)
    assert np.array_equal(uncrop(np.asarray(case.label), case.box, case.original_shape), internal)
