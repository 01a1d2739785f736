"""classify fit -> predict -> evaluate from the command line on a BraTS 2019/2020-style folder
with HGG/ and LGG/ (labels carried by the layout) and on the embedded cohort's labels.csv."""

import json

import nibabel as nib
import numpy as np
import pandas as pd

from conftest import encode, fake_volumes, make_suffixed, save
from smart_brains.checkpoint import DEFAULT_MODEL
from smart_brains.classification.classifiers import CaseClassifier, ClassifierConfig
from smart_brains.cli import main
from smart_brains.synth.cohort import synth_cohort


def test_hgg_lgg_folders_fit_predict_evaluate(tmp_path, capsys):
    root = tmp_path / "MICCAI_BraTS2020_TrainingData"
    for i in range(8):
        grade = "HGG" if i % 2 else "LGG"
        folder = make_suffixed(root / grade, f"BraTS20_Training_{i:03d}", seed=i)
        labels = fake_volumes(i)[1]
        labels[7:9, 6:8, 4 : 5 + i % 2] = 3  # high grade: more enhancing tumour
        labels[5 : 6 + i // 2, 5:9, 3:7] = 2  # sizes vary
        save(encode(labels, "brats2021"), folder / f"BraTS20_Training_{i:03d}_seg.nii.gz")
    model, out = tmp_path / "model", tmp_path / "pred"
    assert (
        main(
            [
                "classify",
                "fit",
                str(root),
                "--out",
                str(model),
                "--folds",
                "2",
                "--seg",
                "reference",
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "HGG/ and LGG/ folders" in text and "volumes (baseline)" in text
    summary = pd.read_csv(model / "cv_summary.csv")
    assert list(summary["model"]) == ["radiomics", "volumes (baseline)"]
    assert json.loads((model / "classifier.json").read_text())["classes"] == ["HGG", "LGG"]
    assert (
        main(
            [
                "classify",
                "predict",
                str(root),
                "--model",
                str(model),
                "--out",
                str(out),
                "--seg",
                "reference",
            ]
        )
        == 0
    )
    classes = pd.read_csv(out / "classes.csv", dtype=str)
    assert list(classes.columns) == [
        "case_id", "predicted", "p_HGG", "p_LGG", "segmentation", "in_fit",
    ]  # fmt: skip
    assert set(classes["segmentation"]) == {"reference"}
    assert (classes["in_fit"] == "True").all()  # every case was in the fit: marked
    assert np.allclose(classes[["p_HGG", "p_LGG"]].astype(float).sum(axis=1), 1.0)
    # the model read back from model.skops predicts what the fitted pipeline predicts
    meta = json.loads((model / "classifier.json").read_text())
    features = pd.read_csv(model / "features.csv", index_col=0)
    truth = pd.read_csv(model / "labels_used.csv", index_col=0, dtype=str)["grade"]
    fitted = CaseClassifier.fit(features, truth, ClassifierConfig(**meta["config"]))
    expected = fitted.predict(features)["p_HGG"]
    got = classes.set_index("case_id")["p_HGG"].astype(float)
    assert np.allclose(got.loc[expected.index], expected, atol=1e-6)
    assert expected.nunique() > 1  # not a constant that any model would match
    # cases the fit never saw are marked so
    new = tmp_path / "new"
    for i in (20, 21):
        folder = make_suffixed(new, f"BraTS20_Training_{i:03d}", seed=i)
        save(
            encode(fake_volumes(i)[1], "brats2021"), folder / f"BraTS20_Training_{i:03d}_seg.nii.gz"
        )
    predict = ["classify", "predict", str(new), "--model", str(model), "--out", str(tmp_path / "p2"), "--seg", "reference"]  # fmt: skip
    assert main(predict) == 0
    fresh = pd.read_csv(tmp_path / "p2" / "classes.csv", dtype=str)
    assert list(fresh["in_fit"]) == ["False", "False"]
    labels = tmp_path / "grades.csv"
    labels.write_text(
        "case_id,grade\n"
        + "".join(f"BraTS20_Training_{i:03d},{'HGG' if i % 2 else 'LGG'}\n" for i in range(8))
    )
    assert main(["classify", "evaluate", str(out / "classes.csv"), "--labels", str(labels)]) == 0
    assert "AUC" in capsys.readouterr().out
    assert set(pd.read_csv(out / "classification" / "summary.csv").columns) >= {
        "auc",
        "auc_low",
        "brier",
    }


def test_the_cohort_writes_labels_with_grades_for_gliomas_only(tmp_path):
    synth_cohort(tmp_path, n_cases=6, seed=2, spacing_mm=4.0, progress=False)
    labels = pd.read_csv(tmp_path / "labels.csv", dtype=str, keep_default_na=False)
    manifest = json.loads((tmp_path / "cohort.json").read_text())
    assert list(labels.columns) == ["case_id", "grade", "kind", "brain", "site"]
    assert len(labels) == 6
    for _, row in labels.iterrows():
        assert row["kind"] == manifest["cases"][row["case_id"]]["kind"]
        assert (row["grade"] in ("HGG", "LGG")) == (row["kind"] == "glioma")
    assert set(manifest["class_rates"]["kind"]) == {"glioma", "metastasis", "meningioma"}


def _cohort_with_own_labels(tmp_path, n):
    """A 4 mm cohort of ``n`` cases and a user's label file (``side``: A, B alternating)."""
    data = tmp_path / "data"
    synth_cohort(data, n_cases=n, seed=4, spacing_mm=4.0, progress=False)
    labels = pd.read_csv(data / "labels.csv", dtype=str, keep_default_na=False)
    own = tmp_path / "own.csv"
    own.write_text(
        "case_id,side\n" + "".join(f"{c},{'AB'[i % 2]}\n" for i, c in enumerate(labels["case_id"]))
    )
    return data, labels, own


def test_classify_segments_with_a_model_by_default_and_says_so(trained_run, tmp_path, capsys):
    """No --seg: every case is segmented by --seg-model (here the session's run; by default the
    packaged model) and the model and classes.csv record that source."""
    data, labels, own = _cohort_with_own_labels(tmp_path, 6)
    model, out = tmp_path / "model", tmp_path / "pred"
    fit = ["classify", "fit", str(data), "--out", str(model), "--folds", "2", "--target", "side",
           "--labels", str(own), "--classifier", "volumes", "--seg-model", str(trained_run),
           "--device", "cpu"]  # fmt: skip
    assert main(fit) == 0
    assert f"features from: model {trained_run}" in capsys.readouterr().out
    assert sorted(p.name for p in (model / "segmentations").glob("*.nii.gz")) == sorted(
        f"{c}.nii.gz" for c in labels["case_id"]
    )
    assert (
        json.loads((model / "classifier.json").read_text())["segmentation"]
        == f"model {trained_run}"
    )
    predict = ["classify", "predict", str(data), "--model", str(model), "--out", str(out), "--seg", "reference"]  # fmt: skip
    assert main(predict) == 0
    captured = capsys.readouterr()
    assert "warning" in captured.err and "fitted on features from model" in captured.err
    assert "were in the fit" in captured.out


def test_without_a_model_classify_segments_with_the_packaged_default(tmp_path, capsys):
    """No --seg, no --seg-model: the packaged default model segments every case."""
    data, labels, own = _cohort_with_own_labels(tmp_path, 4)
    fit = ["classify", "fit", str(data), "--out", str(tmp_path / "model"), "--folds", "2", "--target", "side",
           "--labels", str(own), "--classifier", "volumes", "--device", "cpu"]  # fmt: skip
    assert main(fit) == 0
    assert f"features from: model {DEFAULT_MODEL}" in capsys.readouterr().out
    segs = sorted((tmp_path / "model" / "segmentations").glob("*.nii.gz"))
    assert len(segs) == 4 and any(np.asarray(nib.load(str(s)).dataobj).any() for s in segs)


def test_grading_leaves_non_gliomas_ungraded_and_says_why(tmp_path, capsys):
    data = tmp_path / "data"
    synth_cohort(data, n_cases=10, seed=2, spacing_mm=4.0, progress=False)
    labels = pd.read_csv(data / "labels.csv", dtype=str, keep_default_na=False).set_index("case_id")
    model, out = tmp_path / "model", tmp_path / "pred"
    assert (
        main(
            [
                "classify",
                "fit",
                str(data),
                "--out",
                str(model),
                "--folds",
                "2",
                "--seg",
                "reference",
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "classify",
                "predict",
                str(data),
                "--model",
                str(model),
                "--out",
                str(out),
                "--seg",
                "reference",
            ]
        )
        == 0
    )
    classes = pd.read_csv(out / "classes.csv", dtype=str, keep_default_na=False).set_index(
        "case_id"
    )
    for case_id, row in classes.iterrows():
        kind = labels.loc[case_id, "kind"]
        if kind == "glioma":
            assert row["predicted"] in ("HGG", "LGG") and row["note"] == ""
        else:
            assert row["predicted"] == "" and kind in row["note"]
    assert (labels["kind"] != "glioma").any()  # the cohort has other types to mark
