"""Fault injection: every planted fault ends in exit 2 and one line that names the file, with no
traceback and the output folder as it was; what is only odd (scans a CSV leaves out, a patient
with no tumour) is said and carried on. Faults already covered elsewhere (truncated, 4D, NaN,
shape and affine mismatches: tests/data/test_bad_input.py) are replayed here through predict."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd
import pytest

from conftest import BRATS23, encode, fake_volumes, make_phantom_case, make_suffixed, save
from smart_brains.cli import main

CASE = "BraTS2021_00003"


def _snapshot(folder: Path) -> dict:
    """Every file under ``folder`` with its size and modification time (empty: no folder)."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in folder.rglob("*") if p.is_file()}  # fmt: skip


def _refused(capsys, argv: list[str], names: str, out: Path) -> str:
    """Run ``argv``; assert exit 2, one line naming ``names``, no traceback, ``out`` as it was."""
    before = _snapshot(out)
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert names in err, err
    assert _snapshot(out) == before
    return err


def _file(root: Path, modality: str) -> Path:
    return root / CASE / f"{CASE}_{modality}.nii.gz"


def empty_flair(root):
    path = _file(root, "flair")
    save(np.zeros(nib.load(str(path)).shape, np.int16), path)
    return path.name, "empty"


def all_empty(root):
    for m in ("t1", "t1ce", "t2", "flair"):
        save(np.zeros(nib.load(str(_file(root, m))).shape, np.int16), _file(root, m))
    return f"{CASE}_t1.nii.gz", "empty"


def constant_t2(root):
    save(np.full(nib.load(str(_file(root, "t2"))).shape, 7, np.int16), _file(root, "t2"))
    return f"{CASE}_t2.nii.gz", "constant"


def copied_modality(root):
    shutil.copy(_file(root, "t1"), _file(root, "t1ce"))
    return f"{CASE}_t1ce.nii.gz", "same voxels as t1"


def truncated(root):
    path = _file(root, "t2")
    raw = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(raw[: len(raw) // 2]))
    return path.name, "corrupt"


def nan_voxels(root):
    path = _file(root, "t1")
    data = np.asarray(nib.load(str(path)).dataobj).astype(np.float32)
    data[5, 5, 5] = np.nan
    save(data, path)
    return path.name, "NaN"


FAULTS = [empty_flair, all_empty, constant_t2, copied_modality, truncated, nan_voxels]


@pytest.mark.parametrize("plant", FAULTS, ids=lambda f: f.__name__)
def test_predict_refuses_an_input_it_cannot_segment(plant, trained_run, tmp_path, capsys):
    data = tmp_path / "data"
    make_suffixed(data, CASE, seed=3)
    names, words = plant(data)
    out = tmp_path / "pred"
    err = _refused(capsys, ["predict", str(data), "--model", str(trained_run), "--out", str(out)],
                   names, out)  # fmt: skip
    assert words in err
    assert not out.exists() and not (tmp_path / "pred-extras").exists()  # nothing written
    assert main(["check", str(data)]) == 2  # check lists the same problem in its table
    assert names in capsys.readouterr().out


def test_one_file_given_as_two_modalities(trained_run, tmp_path, capsys):
    folder = make_suffixed(tmp_path / "data", CASE, seed=3)
    files = {m: folder / f"{CASE}_{m}.nii.gz" for m in ("t1", "t1ce", "t2", "flair")}
    out = tmp_path / "pred"
    argv = ["predict", "--t1", str(files["t1"]), "--t1ce", str(files["t1"]), "--t2",
            str(files["t2"]), "--flair", str(files["flair"]), "--model", str(trained_run),
            "--out", str(out)]  # fmt: skip
    assert "both t1 and t1ce" in _refused(capsys, argv, f"{CASE}_t1.nii.gz", out)


def test_outputs_that_cannot_be_written_are_refused_before_compute(trained_run, tmp_path, capsys):
    folder = make_suffixed(tmp_path / "data", CASE, seed=3)
    a_file = tmp_path / "taken"
    a_file.write_text("mine")
    base = ["predict", str(folder), "--model", str(trained_run)]
    _refused(capsys, [*base, "--out", str(a_file)], str(a_file), tmp_path / "nothing")
    assert a_file.read_text() == "mine"
    files = [str(folder / f"{CASE}_{m}.nii.gz") for m in ("t1", "t1ce", "t2", "flair")]
    argv = ["predict", "--t1", files[0], "--t1ce", files[1], "--t2", files[2], "--flair", files[3],
            "--id", "../outside", "--model", str(trained_run), "--out", str(tmp_path / "p")]  # fmt: skip
    _refused(capsys, argv, "../outside", tmp_path / "p")
    assert not (tmp_path / "outside.nii.gz").exists()


def test_a_second_run_into_one_folder_keeps_the_first_runs_rows(trained_run, tmp_path):
    data = tmp_path / "data"
    for i in (1, 2):
        make_suffixed(data, f"BraTS2021_0000{i}", seed=i)
    out = tmp_path / "pred"
    for case in ("BraTS2021_00001", "BraTS2021_00002"):
        assert main(["predict", str(data), "--cases", case, "--model", str(trained_run),
                     "--out", str(out)]) == 0  # fmt: skip
    for table in ("quality.csv", "volumes.csv"):
        rows = pd.read_csv(tmp_path / "pred-extras" / table)
        assert list(rows.case_id) == ["BraTS2021_00001", "BraTS2021_00002"]


def test_predict_never_reads_the_reference(trained_run, tmp_path):
    """A case folder whose reference is in another convention still predicts."""
    folder = make_suffixed(tmp_path / "data", CASE, seed=3)
    labels = np.asarray(nib.load(str(folder / f"{CASE}_seg.nii.gz")).dataobj).copy()
    labels[labels == 4] = 3  # BraTS 2023 values under a BraTS 2021 name
    save(labels, folder / f"{CASE}_seg.nii.gz")
    assert main(["predict", str(folder), "--model", str(trained_run), "--out",
                 str(tmp_path / "pred")]) == 0  # fmt: skip


@pytest.fixture
def gli23(tmp_path):
    """A BraTS 2023 case with its reference, and a prediction written with BraTS 2021 labels."""
    root = tmp_path / "gli"
    case = "BraTS-GLI-00000-000"
    make_suffixed(root, case, suffixes=BRATS23, sep="-", convention="brats2023", seed=1)
    images, labels = fake_volumes(1)
    affine = nib.load(str(next((root / case).glob("*t1n*")))).affine
    pred = tmp_path / "pred"
    pred.mkdir()
    img = nib.Nifti1Image(encode(labels, "brats2021"), affine)
    img.header["descrip"] = "smart-brains labels brats2021"
    nib.save(img, str(pred / f"{case}.nii.gz"))
    return root, case, pred, labels, affine


def test_evaluate_refuses_labels_of_another_convention(gli23, tmp_path, capsys):
    root, case, pred, _, _ = gli23
    err = _refused(capsys, ["evaluate", str(pred), str(root), "--out", str(tmp_path / "ev")],
                   f"{case}.nii.gz", tmp_path / "ev")  # fmt: skip
    assert "brats2021 labels" in err and "--convention brats2023" in err


def test_evaluate_refuses_label_4_under_a_2023_id(gli23, tmp_path, capsys):
    root, case, pred, labels, affine = gli23
    save(encode(labels, "brats2021"), root / case / f"{case}-seg.nii.gz", affine)  # 4 = ET
    nib.save(nib.Nifti1Image(encode(labels, "brats2023"), affine), str(pred / f"{case}.nii.gz"))
    err = _refused(capsys, ["evaluate", str(pred), str(root), "--challenge", "brats2023-gli",
                            "--out", str(tmp_path / "ev")], f"{case}-seg.nii.gz", tmp_path / "ev")  # fmt: skip
    assert "resection cavity" in err


def test_longitudinal_writes_all_or_nothing(tmp_path, capsys):
    segs = tmp_path / "segs"
    segs.mkdir()
    _, labels = fake_volumes(0)
    for t in range(3):
        save(encode(labels, "brats2023"), segs / f"BraTS-GLI-00001-00{t}.nii.gz")
    (segs / "BraTS-GLI-00001-002.nii.gz").write_bytes(b"damaged")
    out = tmp_path / "follow"
    _refused(capsys, ["longitudinal", str(segs), "--out", str(out)], "BraTS-GLI-00001-002", out)
    assert not out.exists() and not any(p.name.startswith(".") for p in tmp_path.iterdir())


def test_longitudinal_says_what_it_leaves_out_and_when_there_never_was_a_tumour(tmp_path, capsys):
    segs = tmp_path / "segs"
    segs.mkdir()
    for t in range(3):
        save(np.zeros((16, 14, 10), np.uint8), segs / f"BraTS-GLI-00002-00{t}.nii.gz")
    listed = tmp_path / "tp.csv"
    listed.write_text(
        "case_id,patient_id,timepoint\nBraTS-GLI-00002-000,p,0\nBraTS-GLI-00002-001,p,1\n"
    )
    out = tmp_path / "follow"
    assert main(["longitudinal", str(segs), "--out", str(out), "--timepoints", str(listed)]) == 0
    err = capsys.readouterr().err
    assert "does not list 1 segmentation" in err and "BraTS-GLI-00002-002" in err
    response = pd.read_csv(out / "response.csv")
    assert set(response.rano) == {"no tumour"} and set(response.rano2) == {"no tumour"}
    assert (out / "lesions.csv").is_file()


def test_classify_evaluate_names_labels_that_match_no_case(tmp_path, capsys):
    classes = tmp_path / "classes.csv"
    classes.write_text("case_id,predicted,p_HGG,p_LGG\nBraTS2021_00001,HGG,0.8,0.2\n"
                       "BraTS2021_00002,LGG,0.3,0.7\n")  # fmt: skip
    labels = tmp_path / "labels.csv"
    labels.write_text("case_id,grade\nX1,HGG\nX2,LGG\n")
    err = _refused(capsys, ["classify", "evaluate", str(classes), "--labels", str(labels),
                            "--target", "grade"], "labels.csv", tmp_path / "classification")  # fmt: skip
    assert "none of its 2 case ids" in err and "X1" in err


def test_a_head_that_is_not_skull_stripped_is_flagged(trained_run, tmp_path, capsys):
    """Non-zero voxels filling a whole head (more than any brain) warn and flag review."""
    folder = tmp_path / "data" / CASE
    rng = np.random.default_rng(0)
    affine = np.diag([1.0, 1.0, 1.0, 1.0])
    for m in ("t1", "t1ce", "t2", "flair"):  # a 160 x 190 x 150 mm head of signal
        save(
            rng.integers(50, 900, (160, 190, 150)).astype(np.int16),
            folder / f"{CASE}_{m}.nii.gz",
            affine,
        )
    out = tmp_path / "pred"
    assert main(["predict", str(folder), "--model", str(trained_run), "--out", str(out)]) == 0
    assert "is it skull-stripped" in capsys.readouterr().err
    quality = pd.read_csv(tmp_path / "pred-extras" / "quality.csv", keep_default_na=False)
    assert quality.flag[0] == "review" and "not_skull_stripped" in quality.reasons[0]


def test_a_grid_far_coarser_than_the_model_s_is_flagged(trained_run, tmp_path, capsys):
    """Thick slices (8 mm against the session run's 4 mm): predicted, warned, flagged review;
    the run's own 4 mm grid is not."""
    for name, zooms in (("thick", (2.0, 2.0, 8.0)), ("fine", (4.0, 4.0, 4.0))):
        folder = tmp_path / name / CASE
        make_phantom_case(folder.parent, CASE, seed=1)
        for path in folder.glob("*.nii.gz"):  # the same voxels, declared at another size
            img = nib.load(str(path))
            data = np.asarray(img.dataobj)
            nib.save(nib.Nifti1Image(data, np.diag([*zooms, 1.0])), str(path))
        out = tmp_path / f"{name}-pred"
        assert main(["predict", str(folder), "--model", str(trained_run), "--out", str(out)]) == 0
        err = capsys.readouterr().err
        quality = pd.read_csv(
            tmp_path / f"{name}-pred-extras" / "quality.csv", keep_default_na=False
        )
        if name == "thick":
            assert "2 x 2 x 8 mm, far coarser than the 4 mm" in err
            assert quality.flag[0] == "review" and "coarse_grid" in quality.reasons[0]
        else:
            assert "coarser" not in err and "coarse_grid" not in quality.reasons[0]
