"""A BraTS participant's whole path on the embedded cohort, through the command line: prepare
folds -> train every fold -> out-of-fold scores -> post-processing tuned on them -> the folds
as one ensemble on unseen cases -> a submission archive that passes the validator's checks."""

import zipfile

import pandas as pd
import pytest

from smart_brains.cli import main

pytestmark = pytest.mark.slow

TRAIN = ["--epochs", "1", "--steps-per-epoch", "1", "--batch-size", "1", "--patch-size", "24",
         "--device", "cpu"]  # fmt: skip


@pytest.fixture(scope="module")
def unseen(tmp_path_factory):
    """Two cases on BraTS's own 1 mm 240 x 240 x 155 grid, from another seed: the 'test set'."""
    from smart_brains.synth.cohort import synth_cohort

    root = tmp_path_factory.mktemp("unseen") / "data"
    synth_cohort(root, n_cases=1, seed=11, spacing_mm=1.0, progress=False)
    return root


def test_cross_validation_to_a_packaged_submission(synthetic_cache, unseen, tmp_path, capsys):
    data = synthetic_cache.parent / "data"
    cache, runs = tmp_path / "cache", tmp_path / "runs"
    assert main(["prepare", str(data), "--out", str(cache), "--folds", "3"]) == 0
    assert main(["train", str(cache), "--name", "cv", "--runs-dir", str(runs), "--fold", "all",
                 *TRAIN]) == 0  # fmt: skip
    folds = runs / "cv"

    assert main(["crossval", str(folds), "--device", "cpu"]) == 0
    scores = pd.read_csv(folds / "crossval" / "scores.csv", dtype={"case_id": str})
    assert scores["case_id"].nunique() == 3 and set(scores["challenge"]) == {"brats2021"}

    assert main(["tune-postprocessing", str(folds), "--device", "cpu"]) == 0
    assert (folds / "postprocessing.json").is_file()

    sub = tmp_path / "submission"
    assert main(["predict", str(unseen), "--model", str(folds), "--out", str(sub),
                 "--device", "cpu", "--overlap", "0"]) == 0  # fmt: skip
    assert sorted(p.name for p in sub.iterdir()) == ["BraTS2021_00000.nii.gz"]
    (sub / ".tmp-999999999-BraTS2021_00001.nii.gz").write_bytes(b"killed")  # a dead run's
    capsys.readouterr()

    archive = tmp_path / "submission.zip"
    assert main(["submit", str(sub), "--challenge", "brats2021", "--data", str(unseen),
                 "--out", str(archive)]) == 0  # fmt: skip
    assert "1 segmentations pass the brats2021 checks" in capsys.readouterr().out
    with zipfile.ZipFile(archive) as z:
        assert z.namelist() == ["BraTS2021_00000.nii.gz"]

    # the same folder is not a BraTS 2023 submission: 2021 ids (and any enhancing written as 4)
    wrong = tmp_path / "wrong.zip"
    assert main(["submit", str(sub), "--challenge", "brats2023-gli", "--out", str(wrong)]) == 2
    err = capsys.readouterr().err
    assert "not a brats2023-gli case id" in err and "Traceback" not in err
    assert not wrong.exists()
