import numpy as np
import pytest

from conftest import BRATS23, make_msd, make_suffixed, save
from smart_brains.data.discovery import detect_layout, discover, scan
from smart_brains.data.layouts import MODALITIES
from smart_brains.errors import DataError


def _names(case):
    return [ref.path.name for ref in case.images]


def test_brats2021_nested(brats21):
    cases = discover(brats21)
    assert [c.case_id for c in cases] == ["BraTS2021_00000", "BraTS2021_00001", "BraTS2021_00002"]
    assert _names(cases[0]) == [f"BraTS2021_00000_{m}.nii.gz" for m in MODALITIES]
    assert cases[0].seg.name == "BraTS2021_00000_seg.nii.gz"
    assert (cases[0].layout, cases[0].convention) == ("brats2021", "brats2021")


def test_fets2021_uncompressed_nii_and_validation_without_seg(tmp_path):
    make_suffixed(tmp_path, "FeTS21_Training_001", ext=".nii")
    make_suffixed(tmp_path, "FeTS21_Validation_001", ext=".nii", seg=False)
    cases = discover(tmp_path)
    assert {c.layout for c in cases} == {"fets2021"}
    assert cases[0].convention == "brats2021"
    assert _names(cases[0])[1] == "FeTS21_Training_001_t1ce.nii"
    assert [c.seg is None for c in cases] == [False, True]


def test_brats2023_names_map_to_canonical_order(tmp_path):
    make_suffixed(tmp_path, "BraTS-GLI-00000-000", BRATS23, sep="-", convention="brats2023")
    (case,) = discover(tmp_path)
    assert case.layout == case.convention == "brats2023"
    assert _names(case) == [f"BraTS-GLI-00000-000-{s}.nii.gz" for s in ("t1n", "t1c", "t2w", "t2f")]


def test_brats2021_and_2023_cases_side_by_side_are_all_found_each_in_its_convention(tmp_path):
    """A folder of 2019-2021 and 2023+ cases (as ../shared/data/real-unlabelled is): none left
    out, each read in its own naming and labels."""
    make_suffixed(tmp_path, "BraTS-GLI-00000-000", BRATS23, sep="-", convention="brats2023")
    make_suffixed(tmp_path, "BraTS-GLI-00001-000", BRATS23, sep="-", convention="brats2023")
    make_suffixed(tmp_path, "BraTS19_TCIA10_311_1")
    cases = discover(tmp_path)
    assert [(c.case_id, c.convention) for c in cases] == [
        ("BraTS-GLI-00000-000", "brats2023"),
        ("BraTS-GLI-00001-000", "brats2023"),
        ("BraTS19_TCIA10_311_1", "brats2021"),
    ]
    # a forced layout reads that layout only
    assert [c.case_id for c in discover(tmp_path, layout="brats2021")] == ["BraTS19_TCIA10_311_1"]


def test_msd_channels_from_dataset_json(tmp_path):
    make_msd(tmp_path, ["BRATS_001", "BRATS_002"])
    (tmp_path / "imagesTr" / "._BRATS_001.nii.gz").write_bytes(b"mac resource fork")
    cases = discover(tmp_path)
    assert [c.case_id for c in cases] == ["BRATS_001", "BRATS_002"]
    assert [ref.channel for ref in cases[0].images] == [1, 2, 3, 0]  # t1, t1ce, t2, flair
    assert cases[0].seg == tmp_path / "labelsTr" / "BRATS_001.nii.gz"


def test_flat_arrangement(tmp_path):
    make_suffixed(tmp_path, "BraTS2021_00001", nested=False)
    make_suffixed(tmp_path, "BraTS2021_00002", nested=False)
    assert len(discover(tmp_path)) == 2


def test_forced_layout_overrides_detection(tmp_path):
    make_suffixed(tmp_path, "FeTS21_Training_001")
    assert detect_layout(tmp_path) == "fets2021"
    assert discover(tmp_path, layout="brats2021")[0].layout == "brats2021"
    with pytest.raises(DataError, match="no brats2023 cases"):
        discover(tmp_path, layout="brats2023")


def test_empty_folder(tmp_path):
    with pytest.raises(DataError, match="holds no NIfTI"):
        discover(tmp_path)


def test_missing_folder(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        discover(tmp_path / "nope")


def test_missing_modality_names_the_file(brats21):
    (brats21 / "BraTS2021_00001" / "BraTS2021_00001_t1ce.nii.gz").unlink()
    with pytest.raises(
        DataError,
        match=r"case BraTS2021_00001: .*BraTS2021_00001_t1ce.nii.gz: missing modality t1ce",
    ):
        discover(brats21)


def test_duplicate_case_ids(brats21, tmp_path):
    make_suffixed(brats21 / "copy", "BraTS2021_00001")
    found = scan(brats21)
    assert len(found.problems) == 1
    assert "duplicate case id" in found.problems[0].message
    assert "BraTS2021_00001" == found.problems[0].case_id


def test_unrelated_files_ignored(brats21):
    (brats21 / "README.txt").write_text("hello")
    save(np.zeros((2, 2, 2)), brats21 / "notes" / "atlas.nii.gz")
    assert len(discover(brats21)) == 3


def test_an_msd_task_folder_one_level_down_is_found(tmp_path):
    make_msd(tmp_path / "Task01_BrainTumour", ["BRATS_001", "BRATS_002"])
    assert [c.case_id for c in discover(tmp_path)] == ["BRATS_001", "BRATS_002"]


def test_symlinked_case_folders_are_found(tmp_path):
    real = tmp_path / "elsewhere"
    make_suffixed(real, "BraTS2021_00007", seed=0)
    data = tmp_path / "data"
    make_suffixed(data, "BraTS2021_00001", seed=1)
    (data / "BraTS2021_00007").symlink_to(real / "BraTS2021_00007", target_is_directory=True)
    (data / "loop").symlink_to(data, target_is_directory=True)  # a link loop ends
    assert [c.case_id for c in discover(data)] == ["BraTS2021_00001", "BraTS2021_00007"]


def test_a_segmentation_named_otherwise_is_a_problem(tmp_path):
    """BraTS 2020's case 355 ships its labels as W39_1998.09.19_Segm.nii."""
    data = tmp_path / "MICCAI_BraTS2020_TrainingData"
    make_suffixed(data, "BraTS20_Training_354", seed=0)
    folder = make_suffixed(data, "BraTS20_Training_355", seed=1, ext=".nii")
    (folder / "BraTS20_Training_355_seg.nii").rename(folder / "W39_1998.09.19_Segm.nii")
    found = scan(data)
    assert [c.case_id for c in found.cases] == ["BraTS20_Training_354"]
    (problem,) = found.problems
    assert problem.path.endswith("W39_1998.09.19_Segm.nii")
    assert "rename it to BraTS20_Training_355_seg.nii" in problem.message
