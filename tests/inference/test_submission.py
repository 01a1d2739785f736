"""The validator's checks, one planted fault at a time."""

import zipfile

import nibabel as nib
import numpy as np
import pytest

from smart_brains.cli import main
from smart_brains.errors import DataError
from smart_brains.evaluation.challenges import get_challenge
from smart_brains.inference.submission import check_submission, write_archive


def seg(folder, name, shape=(240, 240, 155), values=(0, 1, 2, 3)):
    data = np.zeros(shape, np.uint8)
    data.flat[: len(values)] = values
    folder.mkdir(parents=True, exist_ok=True)
    nib.save(nib.Nifti1Image(data, np.eye(4)), str(folder / name))


def problems(folder, name):
    return check_submission(folder, get_challenge(name)).problems


def test_a_good_2023_folder_passes_and_packs_only_segmentations(tmp_path):
    sub = tmp_path / "sub"
    seg(sub, "BraTS-GLI-00001-000.nii.gz")
    seg(sub, "BraTS-GLI-00001-001.nii.gz")
    (sub / "volumes.csv").write_text("case_id\n")
    check = check_submission(sub, get_challenge("brats2023-gli"))
    assert check.problems == () and check.left_out == ("volumes.csv",)
    with zipfile.ZipFile(write_archive(check.files, tmp_path / "s.zip")) as z:
        assert sorted(z.namelist()) == ["BraTS-GLI-00001-000.nii.gz", "BraTS-GLI-00001-001.nii.gz"]


def test_each_year_checks_its_own_names_grid_and_labels(tmp_path):
    sub = tmp_path / "sub"
    seg(sub, "BraTS-GLI-00001-000.nii.gz", values=(0, 1, 2, 4))
    (wrong_label,) = problems(sub, "brats2023-gli")
    assert "label values [4]" in wrong_label
    assert problems(sub, "brats2024-gli") == (  # 4 is the resection cavity there, but the grid
        "BraTS-GLI-00001-000.nii.gz: shape 240x240x155, brats2024-gli images are 182x218x182",
    )
    assert any("not a brats2023-men case id" in p for p in problems(sub, "brats2023-men"))
    assert any("not a brats2021 case id" in p for p in problems(sub, "brats2021"))


def test_missing_cases_and_bad_archive_names_are_refused(tmp_path, capsys):
    data = tmp_path / "data" / "BraTS2021_00007"
    for mod in ("t1", "t1ce", "t2", "flair"):
        seg(data, f"BraTS2021_00007_{mod}.nii.gz")
    sub = tmp_path / "sub"
    seg(sub, "BraTS2021_00008.nii.gz", values=(0, 4))
    check = check_submission(sub, get_challenge("brats2021"), tmp_path / "data")
    assert "BraTS2021_00007: no segmentation" in check.problems
    assert any("no such case" in p for p in check.problems)
    assert main(["submit", str(sub), "--challenge", "brats2021", "--data", str(tmp_path / "data"),
                 "--out", str(tmp_path / "s.zip")]) == 2  # fmt: skip
    err = capsys.readouterr().err
    assert "2 problem(s)" in err and "nothing packaged" in err and "Traceback" not in err
    assert not (tmp_path / "s.zip").exists()
    with pytest.raises(DataError, match=".zip"):
        write_archive(check.files, tmp_path / "s.tar")
