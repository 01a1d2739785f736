import json
import os
import signal
import subprocess
import sys
import time

import nibabel as nib
import numpy as np
import pytest

from conftest import make_msd, make_suffixed
from smart_brains.data.cache import open_case, prepare, read_index
from smart_brains.data.discovery import discover
from smart_brains.data.labels import from_internal
from smart_brains.data.loading import load_case
from smart_brains.data.preprocess import uncrop
from smart_brains.inference.export import segmentation_image


def test_prepare_stores_float16_uint8_and_metadata(brats21, tmp_path):
    report = prepare(brats21, tmp_path / "cache", progress=False)
    assert report.prepared == 3 and report.skipped == 0
    case = open_case(tmp_path / "cache", "BraTS2021_00000")
    assert case.image.dtype == np.float16 and case.image.shape[0] == 4
    assert case.label.dtype == np.uint8
    assert isinstance(case.image, np.memmap)
    assert case.meta["convention"] == "brats2021"
    index = read_index(tmp_path / "cache")
    assert index["cases"] == ["BraTS2021_00000", "BraTS2021_00001", "BraTS2021_00002"]
    splits = json.loads((tmp_path / "cache" / "splits.json").read_text())
    assert len(splits["train"]) + len(splits["val"]) == 3


@pytest.mark.parametrize("layout", ["brats2021", "msd"])
def test_uncrop_restores_labels_shape_and_geometry_exactly(layout, tmp_path):
    data = tmp_path / "data"
    if layout == "msd":
        make_msd(data, ["BRATS_001"])
    else:
        make_suffixed(data, "BraTS2021_00009")
    prepare(data, tmp_path / "cache", progress=False)
    (case,) = discover(data)
    prepared = open_case(tmp_path / "cache", case.case_id)
    labels = uncrop(np.asarray(prepared.label), prepared.box, prepared.original_shape)
    img = segmentation_image(
        from_internal(labels, case.convention), prepared.affine, prepared.header
    )
    ref = nib.load(str(case.seg))
    assert img.shape == ref.shape
    assert np.array_equal(img.affine, ref.affine)
    assert np.array_equal(np.asarray(img.dataobj), np.asarray(ref.dataobj))
    assert img.header.get_best_affine().tolist() == ref.header.get_best_affine().tolist()


def test_second_run_skips_and_changed_source_is_redone(brats21, tmp_path):
    prepare(brats21, tmp_path / "cache", progress=False)
    again = prepare(brats21, tmp_path / "cache", progress=False)
    assert (again.prepared, again.skipped) == (0, 3)
    path = brats21 / "BraTS2021_00001" / "BraTS2021_00001_t1.nii.gz"
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))
    third = prepare(brats21, tmp_path / "cache", progress=False)
    assert (third.prepared, third.skipped) == (1, 2)


def test_modality_subset(brats21, tmp_path):
    prepare(brats21, tmp_path / "cache", modalities=("t1ce", "flair"), progress=False)
    case = open_case(tmp_path / "cache", "BraTS2021_00000")
    assert case.image.shape[0] == 2
    full = load_case(discover(brats21)[0])
    assert case.meta["modalities"] == ["t1ce", "flair"]
    assert case.meta["original_shape"] == list(full.image.shape[1:])


def test_parallel_prepare_matches_serial(brats21, tmp_path):
    prepare(brats21, tmp_path / "serial", progress=False)
    prepare(brats21, tmp_path / "parallel", workers=2, progress=False)
    for cid in read_index(tmp_path / "serial")["cases"]:
        a, b = open_case(tmp_path / "serial", cid), open_case(tmp_path / "parallel", cid)
        assert np.array_equal(a.image, b.image) and np.array_equal(a.label, b.label)
    assert (tmp_path / "serial" / "splits.json").read_text() == (
        tmp_path / "parallel" / "splits.json"
    ).read_text()


def test_leftovers_of_a_killed_run_are_repaired(brats21, tmp_path):
    cache = tmp_path / "cache"
    prepare(brats21, cache, progress=False)
    # what SIGKILL leaves behind: a half-written temporary folder, and a case never renamed in
    half = cache / "cases" / ".tmp-BraTS2021_00002-999"
    (cache / "cases" / "BraTS2021_00002").rename(half)
    (half / "meta.json").unlink()
    report = prepare(brats21, cache, progress=False)
    assert (report.prepared, report.skipped) == (1, 2)
    assert sorted(p.name for p in (cache / "cases").iterdir()) == sorted(read_index(cache)["cases"])


def _complete(cache):
    cases = cache / "cases"
    if not cases.exists():
        return []
    for folder in cases.iterdir():
        if not folder.name.startswith("."):
            meta = json.loads((folder / "meta.json").read_text())  # never half-written
            assert (folder / "image.npy").is_file() and meta["case_id"] == folder.name
    return [p.name for p in cases.iterdir() if not p.name.startswith(".")]


def _done(cache):
    cases = cache / "cases"
    return cases.is_dir() and any(not p.name.startswith(".") for p in cases.iterdir())


def test_sigkill_mid_prepare_leaves_only_whole_cases(tmp_path):
    data = tmp_path / "data"
    for i in range(8):
        make_suffixed(data, f"BraTS2021_{i:05d}", seed=i)
    cache = tmp_path / "cache"
    proc = subprocess.Popen(
        [sys.executable, "-m", "smart_brains", "prepare", str(data), "--out", str(cache)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 60
    while time.time() < deadline and not _done(cache):  # kill once the first case is in
        time.sleep(0.001)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL, "prepare ended before the kill"
    done = _complete(cache)  # every visible case is whole
    assert 1 <= len(done) < 8, f"the kill did not land mid-run ({len(done)} of 8 cases done)"
    prepare(data, cache, progress=False)
    assert sorted(_complete(cache)) == [f"BraTS2021_{i:05d}" for i in range(8)]
    assert not [p for p in (cache / "cases").iterdir() if p.name.startswith(".")]


def test_cache_inside_dataset_refused(brats21):
    from smart_brains.errors import DataError

    with pytest.raises(DataError, match="must not be inside the dataset"):
        prepare(brats21, brats21 / "cache", progress=False)


def test_a_damaged_case_is_named_by_train_and_rebuilt_by_prepare(brats21, tmp_path, capsys):
    """A truncated image.npy (disk trouble after prepare): train names the case and the command
    to run, exit 2; prepare notices it and rebuilds only that case."""
    from smart_brains.cli import main

    cache = tmp_path / "cache"
    prepare(brats21, cache, progress=False)
    damaged = cache / "cases" / "BraTS2021_00001" / "image.npy"
    damaged.write_bytes(damaged.read_bytes()[:-500])
    code = main(["train", str(cache), "--epochs", "1", "--steps-per-epoch", "1",
                 "--patch-size", "8", "--runs-dir", str(tmp_path / "runs"), "--device", "cpu"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and err.count("\n") == 1
    assert "case BraTS2021_00001" in err and "is damaged" in err
    assert f"smart-brains prepare {brats21.resolve()} --out {cache}" in err
    report = prepare(brats21, cache, progress=False)
    assert (report.prepared, report.skipped) == (1, 2)
    assert open_case(cache, "BraTS2021_00001").image.shape[0] == 4


def test_prepare_resamples_to_the_spacing_asked_for(brats21, tmp_path, capsys):
    from smart_brains.cli import main

    assert main(["prepare", str(brats21), "--out", str(tmp_path / "c2"), "--spacing", "2"]) == 0
    assert "at 2x2x2 mm" in capsys.readouterr().out
    index = read_index(tmp_path / "c2")
    assert index["spacing_mm"] == [2.0, 2.0, 2.0]
    native = prepare(brats21, tmp_path / "c1", progress=False)
    assert read_index(native.cache)["spacing_mm"] == [1.0, 1.0, 1.0]  # as stored
    fine = open_case(native.cache, "BraTS2021_00000")
    coarse = open_case(tmp_path / "c2", "BraTS2021_00000")
    assert coarse.meta["spacing_mm"] == [2.0, 2.0, 2.0]
    assert coarse.meta["original_shape"] == [8, 7, 5]  # 16 x 14 x 10 at 1 mm
    assert set(np.unique(coarse.label)) <= set(np.unique(fine.label))  # labels, not blends
    with pytest.raises(SystemExit) as exit_info:  # argparse: one line, exit code 2
        main(["prepare", str(brats21), "--out", str(tmp_path / "c3"), "--spacing", "0,1"])
    assert exit_info.value.code == 2 and not (tmp_path / "c3").exists()
