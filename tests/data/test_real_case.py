"""The real glioma case in ../shared/data/real-case (present in this workplace and in CI)."""

import nibabel as nib
import numpy as np

from smart_brains.cli import main
from smart_brains.data.cache import open_case, prepare
from smart_brains.data.discovery import discover
from smart_brains.data.loading import load_case
from smart_brains.data.preprocess import uncrop


def test_discovered_as_brats2021(real_case):
    (case,) = discover(real_case)
    assert case.case_id == "TCGA-FG-6692"
    assert case.layout == "brats2021" and case.seg is not None


def test_check_passes(real_case, capsys):
    assert main(["check", str(real_case)]) == 0
    assert "1 usable cases (1 with a reference)" in capsys.readouterr().out


def test_load_keeps_brats_geometry(real_case):
    loaded = load_case(discover(real_case)[0])
    assert loaded.image.shape == (4, 240, 240, 155)
    assert np.array_equal(
        loaded.affine, np.array([[-1, 0, 0, 0], [0, -1, 0, 239], [0, 0, 1, 0], [0, 0, 0, 1]])
    )
    assert set(np.unique(loaded.seg)) == {0, 1, 2, 3}


def test_prepare_and_uncrop_restores_reference_exactly(real_case, tmp_path):
    prepare(real_case, tmp_path / "cache", progress=False)
    case = open_case(tmp_path / "cache", "TCGA-FG-6692")
    assert case.image.shape[1:] == tuple(b - a for a, b in case.box)
    assert all(np.isfinite(case.image[c]).all() for c in range(4))
    ref = np.asarray(nib.load(str(real_case / "TCGA-FG-6692_seg.nii.gz")).dataobj)
    internal = np.where(ref == 4, 3, ref)
    assert np.array_equal(uncrop(np.asarray(case.label), case.box, case.original_shape), internal)
