"""Each kind of bad input gives one clear line naming the case and file, and exit code 2."""

import gzip
import subprocess
import sys
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

from conftest import BRATS_AFFINE, make_msd, make_suffixed, save
from smart_brains.cli import main

CASE = "BraTS2021_00001"


def _file(root: Path, suffix: str) -> Path:
    return root / CASE / f"{CASE}_{suffix}.nii.gz"


def missing_modality(root):
    _file(root, "flair").unlink()
    return "flair", "missing modality flair"


def corrupt(root):
    _file(root, "t2").write_bytes(b"this is not a nifti file at all" * 20)
    return "t2", "unreadable or corrupt NIfTI"


def truncated(root):
    path = _file(root, "t1")
    raw = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(raw[: len(raw) // 2]))
    return "t1", "unreadable or corrupt NIfTI"


def four_d(root):
    path = _file(root, "t1ce")
    data = np.asarray(nib.load(str(path)).dataobj)
    save(np.stack([data, data], -1), path)
    return "t1ce", "is 4D"


def shape_mismatch(root):
    path = _file(root, "t2")
    save(np.random.default_rng(0).integers(1, 500, (10, 10, 10)).astype(np.int16), path)
    return "t2", "shape (10, 10, 10) differs"


def affine_mismatch(root):
    path = _file(root, "flair")
    data = np.asarray(nib.load(str(path)).dataobj)
    shifted = BRATS_AFFINE.copy()
    shifted[0, 3] += 2.0
    save(data, path, shifted)
    return "flair", "affine differs"


def nan_voxels(root):
    path = _file(root, "t1")
    data = np.asarray(nib.load(str(path)).dataobj).astype(np.float32)
    data[3, 4, 5] = np.nan
    save(data, path)
    return "t1", "NaN/Inf"


def bad_labels(root):
    path = _file(root, "seg")
    data = np.asarray(nib.load(str(path)).dataobj).copy()
    data[0, 0, 0] = 3  # 3 is not a BraTS 2021 label
    save(data, path)
    return "seg", "label values [3] are not allowed in the brats2021 convention"


def duplicate_id(root):
    make_suffixed(root / "copy", CASE)
    return "t1", "duplicate case id"


BREAKERS = [
    missing_modality,
    corrupt,
    truncated,
    four_d,
    shape_mismatch,
    affine_mismatch,
    nan_voxels,
    bad_labels,
    duplicate_id,
]


@pytest.mark.parametrize("breaker", BREAKERS, ids=lambda b: b.__name__)
def test_prepare_fails_with_one_line_and_exit_2(breaker, brats21, tmp_path, capsys):
    _, message = breaker(brats21)
    code = main(["prepare", str(brats21), "--out", str(tmp_path / "cache")])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1, err
    assert message in err
    assert CASE in err


@pytest.mark.parametrize("breaker", BREAKERS, ids=lambda b: b.__name__)
def test_check_lists_the_problem_in_a_table(breaker, brats21, capsys):
    suffix, message = breaker(brats21)
    code = main(["check", str(brats21)])
    out = capsys.readouterr().out
    assert code == 2
    row = next(line for line in out.splitlines() if message in line)
    assert row.startswith(CASE)
    assert "2 usable cases" in out  # the other two cases are fine


def test_check_reports_every_problem_at_once(brats21, capsys):
    missing_modality(brats21)
    (brats21 / "BraTS2021_00002" / "BraTS2021_00002_t2.nii.gz").write_bytes(b"junk")
    assert main(["check", str(brats21)]) == 2
    out = capsys.readouterr().out
    assert "2 problems in 2 cases" in out
    assert "missing modality flair" in out and "BraTS2021_00002_t2.nii.gz" in out


def test_check_passes_on_a_clean_dataset(brats21, capsys):
    assert main(["check", str(brats21)]) == 0
    assert "3 usable cases (3 with a reference)" in capsys.readouterr().out


def test_empty_dataset_folder(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["check", str(tmp_path / "empty")]) == 2
    assert "holds no NIfTI files" in capsys.readouterr().err


def test_msd_3d_image_where_4d_expected(tmp_path, capsys):
    make_msd(tmp_path, ["BRATS_001"])
    save(np.ones((4, 4, 4), np.int16), tmp_path / "imagesTr" / "BRATS_001.nii.gz")
    assert main(["check", str(tmp_path)]) == 2
    assert "expects 4D images" in capsys.readouterr().out


def test_no_traceback_from_the_real_command(tmp_path):
    (tmp_path / "data").mkdir()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "smart_brains",
            "prepare",
            str(tmp_path / "data"),
            "--out",
            str(tmp_path / "c"),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert (
        result.stderr.startswith("smart-brains: error:") and str(tmp_path / "data") in result.stderr
    )
