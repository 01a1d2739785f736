"""End to end on two tiny synthetic cases: prepare -> train -> predict -> evaluate, via the CLI."""

import csv

import nibabel as nib
import numpy as np
import pytest

from smart_brains.cli import main
from smart_brains.synth.cohort import synth_cohort


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("smoke")
    synth_cohort(root / "data", n_cases=2, seed=0, spacing_mm=4.0, progress=False)
    assert main(["prepare", str(root / "data"), "--out", str(root / "cache")]) == 0
    return root


def _predict(workspace, run, out, *extra) -> int:
    return main(
        [
            "predict",
            str(workspace / "data"),
            "--model",
            str(run),
            "--out",
            str(out),
            "--device",
            "cpu",
            *extra,
        ]
    )


TRAIN = [
    "--epochs",
    "2",
    "--steps-per-epoch",
    "2",
    "--batch-size",
    "1",
    "--patch-size",
    "24",
    "--device",
    "cpu",
]


def test_train_predict_evaluate(workspace, capsys):
    runs = workspace / "runs"
    args = ["train", str(workspace / "cache"), "--name", "smoke", "--runs-dir", str(runs), *TRAIN]
    assert main(args) == 0
    run = runs / "smoke"
    for name in (
        "config.yaml",
        "metrics.csv",
        "checkpoints/last.pt",
        "checkpoints/best.pt",
        "training_curves.png",
    ):
        assert (run / name).is_file(), name
    rows = list(csv.DictReader((run / "metrics.csv").open()))
    assert [r["epoch"] for r in rows] == ["1", "2"]
    assert rows[-1]["val_dice_WT"] != ""

    pred = workspace / "pred"
    assert _predict(workspace, run, pred) == 0
    for case in ("BraTS2021_00000", "BraTS2021_00001"):
        out = nib.load(str(pred / f"{case}.nii.gz"))
        src = nib.load(str(workspace / "data" / case / f"{case}_t1.nii.gz"))
        assert out.shape == src.shape
        assert np.array_equal(out.affine, src.affine)
        assert out.header["qform_code"] == src.header["qform_code"]
        assert out.header["sform_code"] == src.header["sform_code"]
        assert out.get_data_dtype() == np.uint8
        assert set(np.unique(np.asarray(out.dataobj))) <= {0, 1, 2, 4}  # BraTS 2021 convention

    capsys.readouterr()
    assert main(["evaluate", str(pred), str(workspace / "data")]) == 0
    out = capsys.readouterr().out
    assert "WT" in out and "dice_mean" in out and "scored as brats2021" in out
    evaluation = pred.parent / f"{pred.name}-evaluation"  # PRED holds segmentations only
    scores = list(csv.DictReader((evaluation / "scores.csv").open()))
    assert len(scores) == 6 and {r["challenge"] for r in scores} == {"brats2021"}
    # the summary's WT and ET Dice against Dice computed here from the files themselves
    summary = {r["region"]: r for r in csv.DictReader((evaluation / "summary.csv").open())}
    for region, values in (("WT", (1, 2, 4)), ("ET", (4,))):
        own = []
        for case in ("BraTS2021_00000", "BraTS2021_00001"):
            a = np.isin(np.asarray(nib.load(str(pred / f"{case}.nii.gz")).dataobj), values)
            seg = workspace / "data" / case / f"{case}_seg.nii.gz"
            b = np.isin(np.asarray(nib.load(str(seg)).dataobj), values)
            own.append(
                1.0 if not a.any() and not b.any() else 2 * (a & b).sum() / (a.sum() + b.sum())
            )
        assert float(summary[region]["dice_mean"]) == pytest.approx(np.mean(own), abs=1e-6)
    for name in (
        "summary.csv",
        "classification.csv",
        "confusion.csv",
        "confusion.png",
        "metrics.json",
    ):
        assert (evaluation / name).is_file(), name


def test_resume_continues_and_name_clash_is_refused(workspace, capsys):
    runs = workspace / "runs"
    base = ["train", str(workspace / "cache"), "--name", "resumed", "--runs-dir", str(runs), *TRAIN]
    assert main(base) == 0
    assert main(base) == 2
    assert "--resume" in capsys.readouterr().err
    assert main([*base[: -len(TRAIN)], *TRAIN[2:], "--epochs", "3", "--resume"]) == 0
    rows = list(csv.DictReader((runs / "resumed" / "metrics.csv").open()))
    assert [r["epoch"] for r in rows] == ["1", "2", "3"]
    capsys.readouterr()
    assert main([*base, "--epochs", "4", "--resume", "--model", "segresnet"]) == 2
    assert "cannot resume with a different model" in capsys.readouterr().err


def test_label_loss_and_modality_subset(workspace):
    args = [
        "train", str(workspace / "cache"), "--name", "labels", "--runs-dir", str(workspace / "runs"),
        "--loss", "dice_ce", "--modalities", "t1ce,flair", "--optimizer", "sgd", "--no-augment", *TRAIN,
    ]  # fmt: skip
    assert main(args) == 0
    pred = workspace / "pred_labels"
    run = workspace / "runs" / "labels"
    assert _predict(workspace, run, pred, "--cases", "BraTS2021_00001") == 0
    assert [p.name for p in pred.glob("*.nii.gz")] == ["BraTS2021_00001.nii.gz"]


def test_predict_with_missing_checkpoint(workspace, capsys):
    code = main(
        [
            "predict",
            str(workspace / "data"),
            "--model",
            str(workspace / "nope.pt"),
            "--out",
            str(workspace / "x"),
        ]
    )
    assert code == 2
    assert "checkpoint not found" in capsys.readouterr().err
