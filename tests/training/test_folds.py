"""Cross-validation folds: train one fold, or every fold in turn (resumable), then predict
with the folder of folds as one ensemble."""

import dataclasses
import json
import shutil

import pandas as pd
import pytest

from smart_brains.cli import main
from smart_brains.config import TrainConfig
from smart_brains.data.splits import make_splits, save_splits
from smart_brains.errors import DataError
from smart_brains.training.loop import fit


@pytest.fixture
def three_folds(synthetic_cache, tmp_path):
    cache = tmp_path / "cache"
    shutil.copytree(synthetic_cache, cache)
    ids = json.loads((cache / "dataset.json").read_text())["cases"]
    save_splits(make_splits(ids, folds=3), cache / "splits.json")
    return cache


def test_a_fold_trains_on_its_own_cases(three_folds, tmp_path):
    cfg = TrainConfig(
        cache=str(three_folds), name="fold2", runs_dir=str(tmp_path), epochs=1, steps_per_epoch=1,
        batch_size=1, patch_size_vox=(24, 24, 24), device="cpu", fold=2,
    )  # fmt: skip
    run = fit(cfg, progress=False)
    assert "fold: 2" in run.config.read_text()
    assert pd.read_csv(run.metrics)["val_dice_mean"].notna().all()
    with pytest.raises(DataError, match="--fold 5 but the cache has 3 folds"):
        fit(dataclasses.replace(cfg, name="fold5", fold=5), progress=False)


def test_every_fold_in_turn_then_one_ensemble(three_folds, synthetic_cache, tmp_path, capsys):
    args = ["train", str(three_folds), "--name", "cv", "--runs-dir", str(tmp_path / "runs"),
            "--fold", "all", "--epochs", "1", "--steps-per-epoch", "1", "--batch-size", "1",
            "--patch-size", "24", "--device", "cpu"]  # fmt: skip
    assert main(args) == 0
    runs = tmp_path / "runs" / "cv"
    assert sorted(p.name for p in runs.iterdir()) == ["fold0", "fold1", "fold2"]
    stamps = [(runs / f"fold{k}" / "checkpoints" / "last.pt").stat().st_mtime_ns for k in range(3)]
    assert main(args) == 0  # finished folds are kept as they are
    assert stamps == [
        (runs / f"fold{k}" / "checkpoints" / "last.pt").stat().st_mtime_ns for k in range(3)
    ]
    from smart_brains.inference.predict import Predictor

    assert len(Predictor.from_checkpoints([runs], "cpu").models) == 3
    data = synthetic_cache.parent / "data"
    assert (
        main(
            [
                "predict",
                str(data),
                "--model",
                str(runs),
                "--out",
                str(tmp_path / "p"),
                "--device",
                "cpu",
            ]
        )
        == 0
    )
    assert len(list((tmp_path / "p").glob("*.nii.gz"))) == 3


def test_crossval_scores_and_tunes_on_out_of_fold_predictions(three_folds, tmp_path, capsys):
    runs = tmp_path / "runs" / "cv"
    assert main(["train", str(three_folds), "--name", "cv", "--runs-dir", str(tmp_path / "runs"),
                 "--fold", "all", "--epochs", "1", "--steps-per-epoch", "1", "--batch-size", "1",
                 "--patch-size", "24", "--device", "cpu"]) == 0  # fmt: skip
    assert main(["crossval", str(runs), "--device", "cpu"]) == 0
    scores = pd.read_csv(runs / "crossval" / "scores.csv", dtype={"case_id": str})
    assert (
        scores["case_id"].nunique() == 3
    )  # every case once, predicted by the fold that held it out
    assert len(list((runs / "oof").glob("*.nii.gz"))) == 3
    assert main(["tune-postprocessing", str(runs), "--device", "cpu"]) == 0
    saved = json.loads((runs / "postprocessing.json").read_text())
    assert saved["cases"] == 3 and saved["runs"] == 3
    from smart_brains.inference.predict import Predictor

    tuned = Predictor.from_checkpoints([runs], "cpu").tuned
    assert tuned.to_dict()["min_voxels"] == saved["min_voxels"]
