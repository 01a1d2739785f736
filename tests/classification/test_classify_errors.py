"""Every damaged or mismatched input of `classify predict` and `classify evaluate` is one line
naming the file and what to do, exit code 2."""

import json
import os

import pytest
import skops.io as sio
from sklearn.preprocessing import FunctionTransformer

from conftest import encode, fake_volumes, make_suffixed, save
from smart_brains.cli import main


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    root = tmp_path_factory.mktemp("errors") / "data"
    for i in range(6):
        folder = make_suffixed(root, f"BraTS2021_{i:05d}", seed=i)
        labels = fake_volumes(i)[1]
        labels[5 : 6 + i // 2, 5:9, 3:7] = 2
        save(encode(labels, "brats2021"), folder / f"BraTS2021_{i:05d}_seg.nii.gz")
    (root / "labels.csv").write_text(
        "case_id,grade\n"
        + "".join(f"BraTS2021_{i:05d},{'HGG' if i % 2 else 'LGG'}\n" for i in range(6))
    )
    model = root.parent / "model"
    fit = ["classify", "fit", str(root), "--out", str(model), "--folds", "2", "--seg", "reference"]
    assert main(fit) == 0
    return root, model


def _one_line_exit_2(capsys, args, expected):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and expected in err and "Traceback" not in err, err


def test_a_damaged_model_folder_is_one_line(fitted, tmp_path, capsys):
    root, model = fitted
    predict = [
        "classify",
        "predict",
        str(root),
        "--out",
        str(tmp_path / "o"),
        "--seg",
        "reference",
        "--model",
    ]
    broken = tmp_path / "truncated"
    broken.mkdir()
    (broken / "classifier.json").write_text((model / "classifier.json").read_text())
    (broken / "model.skops").write_bytes((model / "model.skops").read_bytes()[:50])
    _one_line_exit_2(capsys, [*predict, str(broken)], "model.skops: damaged")
    # a file that would run code (a function of the os module) is refused, not loaded
    sio.dump(FunctionTransformer(func=os.getcwd), broken / "model.skops")
    (broken / "classifier.json").write_text((model / "classifier.json").read_text())
    _one_line_exit_2(capsys, [*predict, str(broken)], "holds types this package does not build")
    (broken / "classifier.json").write_text("{not json")
    _one_line_exit_2(capsys, [*predict, str(broken)], "classifier.json: damaged")
    meta = json.loads((model / "classifier.json").read_text())
    meta["config"]["colour"] = "blue"
    (broken / "classifier.json").write_text(json.dumps(meta))
    _one_line_exit_2(capsys, [*predict, str(broken)], "classifier.json: damaged")
    meta = json.loads((model / "classifier.json").read_text())
    meta["features"]["bin_width"] = 1.0
    (broken / "classifier.json").write_text(json.dumps(meta))
    _one_line_exit_2(capsys, [*predict, str(broken)], "extracted with other settings")
    meta = json.loads((model / "classifier.json").read_text())
    meta["versions"]["scikit-learn"] = "0.1"
    (broken / "classifier.json").write_text(json.dumps(meta))
    _one_line_exit_2(capsys, [*predict, str(broken)], "fitted with scikit-learn 0.1")


def test_bad_classes_files_are_one_line(fitted, tmp_path, capsys):
    root, _ = fitted
    evaluate = ["classify", "evaluate", "--labels", str(root / "labels.csv")]
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    _one_line_exit_2(capsys, [*evaluate, str(empty)], "not a readable classes.csv")
    twice = tmp_path / "twice.csv"
    twice.write_text(
        "case_id,predicted,p_HGG,p_LGG\nBraTS2021_00001,HGG,0.9,0.1\nBraTS2021_00001,HGG,0.9,0.1\n"
    )
    _one_line_exit_2(capsys, [*evaluate, str(twice)], "listed more than once")
    kinds = tmp_path / "labels-kind.csv"
    kinds.write_text("case_id,kind\nBraTS2021_00001,glioma\nBraTS2021_00002,metastasis\n")
    other = tmp_path / "grades.csv"
    other.write_text(
        "case_id,predicted,p_HGG,p_LGG\nBraTS2021_00001,HGG,0.9,0.1\nBraTS2021_00002,LGG,0.2,0.8\n"
    )
    args = ["classify", "evaluate", str(other), "--labels", str(kinds), "--target", "kind"]
    _one_line_exit_2(capsys, args, "score it against the target it was fitted for")


def test_evaluate_names_labelled_cases_the_predictions_lack(fitted, tmp_path, capsys):
    root, _ = fitted
    subset = tmp_path / "subset.csv"
    subset.write_text(
        "case_id,predicted,p_HGG,p_LGG\nBraTS2021_00000,HGG,0.9,0.1\nBraTS2021_00001,LGG,0.2,0.8\n"
    )
    assert main(["classify", "evaluate", str(subset), "--labels", str(root / "labels.csv")]) == 0
    out = capsys.readouterr().out
    assert "4 case(s) with a grade" in out and "BraTS2021_00002" in out
    assert "scored on the 2 predicted" in out
