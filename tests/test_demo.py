"""The newcomer's command, shrunk: synth -> prepare -> train -> tune post-processing -> predict
-> classify -> evaluate -> report."""

import pytest

from smart_brains.workflows.demo import DemoConfig, run_demo

pytestmark = pytest.mark.slow


def test_demo_runs_end_to_end_and_ends_with_a_report(tmp_path, recwarn):
    cfg = DemoConfig(
        out=str(tmp_path / "demo"), n_cases=10, spacing_mm=4.0, seed=2, epochs=1, steps_per_epoch=2,
        patch_size_vox=(24, 24, 24), val_every=1, num_workers=0, workers=1, device="cpu", n_test=2,
    )  # fmt: skip
    result = run_demo(cfg, progress=False)
    assert list(result.summary.index) == ["WT", "TC", "ET"]
    assert result.summary["cases"].tolist() == [2, 2, 2]  # 80:20 of 10 cases
    # and the held-out test cohort: another brain at an unseen site, scored on its own
    assert result.test_summary["cases"].tolist() == [2, 2, 2]
    assert sorted(p.name for p in (tmp_path / "demo" / "test-predictions").glob("*.nii.gz")) == [
        "BraTS2021_90000.nii.gz", "BraTS2021_90001.nii.gz",
    ]  # fmt: skip
    text = result.report.read_text()
    assert result.report.is_file() and "data:image/png;base64," in text
    assert "Case classification" in text and "Predicted class" in text
    assert result.scores_csv.is_file()
    # seed 2: 2 HGG and 3 LGG among the training cases; the 2 held-out cases are gliomas
    assert result.classifier_summary["cases"].tolist() == [5, 5]
    assert len(result.grades) == 2 and set(result.grades["predicted grade"]) <= {"HGG", "LGG"}
    assert result.grades["probability"].between(0.5, 1).all()
    assert set(result.seconds) == {
        "synth", "prepare", "train", "tune", "predict", "classify", "evaluate+report",
        "packaged model",
    }  # fmt: skip
    # the packaged model a user gets, scored on the same held-out test cases
    assert result.packaged_summary["cases"].tolist() == [2, 2, 2]
    assert result.packaged_summary.loc["WT", "dice_mean"] > 0.3
    tuned = result.postprocessing  # for the lesion-wise ranking, both Dice before and after
    assert tuned["challenge"] == "brats2023-gli" and set(tuned["after"]) == {"WT", "TC", "ET"}
    assert {"dice", "lesion_dice"} == set(tuned["before"]["WT"])
    assert "brats2021 rules" in text  # the report says which rules scored it
    # the generated brains are brains: no input check mistakes them for heads or swaps
    said = [str(w.message) for w in recwarn]
    assert not [m for m in said if "skull-stripped" in m or "swapped" in m], said
