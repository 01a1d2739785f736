"""Predict with a trained tiny run: inputs, ensembles, TTA, extras, skipping, post-processing."""

import json
import shutil
from pathlib import Path

import nibabel as nib
import numpy as np
import pandas as pd
import pytest

from smart_brains.cli import main
from smart_brains.data.discovery import discover
from smart_brains.data.loading import load_case
from smart_brains.data.resample import resize
from smart_brains.inference.postprocess import PostProcessing
from smart_brains.inference.predict import PredictOptions, Predictor, predict


@pytest.fixture(scope="module")
def data(trained_run):
    return trained_run.parents[1] / "data"


@pytest.fixture(scope="module")
def case(data):
    return discover(data)[0]


def _labels(path):
    return np.asarray(nib.load(str(path)).dataobj)


def test_folder_case_folder_and_four_files_give_the_same_prediction(
    trained_run, data, case, tmp_path, capsys
):
    assert main(["predict", str(data), "--model", str(trained_run), "--out", str(tmp_path / "a"),
                 "--device", "cpu", "--cases", case.case_id]) == 0  # fmt: skip
    assert main(["predict", str(data / case.case_id), "--model", str(trained_run),
                 "--out", str(tmp_path / "b"), "--device", "cpu"]) == 0  # fmt: skip
    files = [f"--{m}={ref.path}" for m, ref in zip(("t1", "t1ce", "t2", "flair"), case.images)]
    assert main(["predict", *files, "--model", str(trained_run), "--out", str(tmp_path / "c"),
                 "--device", "cpu"]) == 0  # fmt: skip
    a = _labels(tmp_path / "a" / f"{case.case_id}.nii.gz")
    assert np.array_equal(a, _labels(tmp_path / "b" / f"{case.case_id}.nii.gz"))
    assert np.array_equal(a, _labels(tmp_path / "c" / f"{case.case_id}.nii.gz"))
    for folder in "abc":  # segmentations only: what a challenge's validator accepts
        assert [f.name for f in (tmp_path / folder).iterdir()] == [f"{case.case_id}.nii.gz"]
    volumes = pd.read_csv(tmp_path / "a-extras" / "volumes.csv")
    zooms = nib.load(str(case.images[0].path)).header.get_zooms()
    assert volumes.loc[0, "WT_cm3"] == pytest.approx((a > 0).sum() * np.prod(zooms) / 1000)
    printed = capsys.readouterr().out  # one line per case: its volumes and its flag
    assert f"{volumes.loc[0, 'WT_cm3']:.1f}" in next(
        line for line in printed.splitlines() if line.startswith(volumes.loc[0, "case_id"])
    )


def test_ensemble_tta_and_extras(trained_run, case, tmp_path):
    out = tmp_path / "out"
    options = PredictOptions(tta="8", probabilities=True, uncertainty=True, overlay=True)
    table = predict(
        [trained_run, trained_run], case, out, device="cpu", options=options, progress=False
    )
    assert table["written"].tolist() == [True]
    source = nib.load(str(case.images[0].path))
    seg = nib.load(str(out / f"{case.case_id}.nii.gz"))
    assert seg.shape == source.shape and np.array_equal(seg.affine, source.affine)
    assert [f.name for f in out.iterdir()] == [f"{case.case_id}.nii.gz"]
    out = tmp_path / "out-extras"
    probs = np.load(out / f"{case.case_id}_probabilities.npz")
    assert probs["probabilities"].dtype == np.float16
    assert probs["probabilities"].shape == (3, *source.shape)
    assert probs["channels"].tolist() == ["WT", "TC", "ET"]
    spread = nib.load(str(out / f"{case.case_id}_uncertainty.nii.gz"))
    assert spread.shape == (*source.shape, 3) and np.array_equal(spread.affine, source.affine)
    assert np.asarray(spread.dataobj).max() > 0  # mirrored passes disagree somewhere
    assert (out / f"{case.case_id}_overlay.png").stat().st_size > 1000


def test_the_same_model_twice_is_the_model_once(trained_run, case):
    single = Predictor.from_checkpoints([trained_run], "cpu")
    double = Predictor.from_checkpoints([trained_run, trained_run], "cpu")
    image = np.random.default_rng(0).random((4, 20, 22, 18)).astype(np.float32)
    a = single.predict_image(image, PredictOptions(tta="none"))
    b = double.predict_image(image, PredictOptions(tta="none"))
    assert b.members == 2 and np.allclose(a.probabilities, b.probabilities, atol=1e-6)
    assert not b.spread.any()


def test_existing_outputs_are_kept_unless_overwrite(trained_run, case, tmp_path):
    out = tmp_path / "out"
    predict(trained_run, case, out, device="cpu", progress=False)
    target = out / f"{case.case_id}.nii.gz"
    before = target.stat().st_mtime_ns
    again = predict(trained_run, case, out, device="cpu", progress=False)
    assert again["written"].tolist() == [False] and target.stat().st_mtime_ns == before
    redone = predict(trained_run, case, out, device="cpu", progress=False,
                     options=PredictOptions(overwrite=True))  # fmt: skip
    assert redone["written"].tolist() == [True] and target.stat().st_mtime_ns != before
    assert not list(out.glob(".tmp-*"))  # written atomically, nothing left behind


def test_bad_inputs_are_one_line_errors(trained_run, case, tmp_path, capsys):
    missing = tmp_path / "nope_t1.nii.gz"
    files = [
        f"--t1={missing}",
        *(f"--{m}={r.path}" for m, r in zip(("t1ce", "t2", "flair"), case.images[1:])),
    ]
    assert main(["predict", *files, "--model", str(trained_run), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert str(missing) in err and "Traceback" not in err
    assert main(["predict", "--t1", str(case.images[0].path), "--model", str(trained_run),
                 "--out", str(tmp_path / "o")]) == 2  # fmt: skip
    assert "--t1ce" in capsys.readouterr().err
    assert main(["predict", str(case.images[0].path.parent), "--model", str(tmp_path),
                 "--out", str(tmp_path / "o")]) == 2  # fmt: skip
    assert "checkpoint not found" in capsys.readouterr().err


def test_ensembling_models_with_different_inputs_is_refused(trained_run, case, tmp_path, capsys):
    other = tmp_path / "other"
    shutil.copytree(trained_run, other)
    import torch

    state = torch.load(other / "checkpoints" / "best.pt", weights_only=True)
    state["config"]["modalities"] = ["t1ce", "flair"]
    torch.save(state, other / "checkpoints" / "best.pt")
    assert main(["predict", str(case.images[0].path.parent), "--model", str(trained_run), str(other),
                 "--out", str(tmp_path / "o")]) == 2  # fmt: skip
    err = capsys.readouterr().err
    assert "cannot ensemble" in err and "Traceback" not in err


def test_tuned_post_processing_is_saved_and_used(trained_run, case, tmp_path, capsys):
    # a copy of the session's run: nothing tuned here can reach the other tests, even on a failure
    trained_run = Path(shutil.copytree(trained_run, tmp_path / "run"))
    assert main(["tune-postprocessing", str(trained_run), "--device", "cpu"]) == 0
    saved = json.loads((trained_run / "postprocessing.json").read_text())
    assert saved["challenge"] == "brats2021" and saved["ranking"] == "dice"
    for region, size in saved["min_voxels"].items():
        assert str(size) in saved["search"][region]
    out = capsys.readouterr().out
    assert "chosen minimum component sizes" in out and "lesion-wise Dice before -> after" in out
    huge = {"min_voxels": {"WT": 10**9, "TC": 0, "ET": 0}}
    (trained_run / "postprocessing.json").write_text(json.dumps(huge))
    predictor = Predictor.from_checkpoints([trained_run], "cpu")
    assert predictor.tuned == PostProcessing((10**9, 0, 0))
    image = np.random.default_rng(0).random((4, 20, 22, 18)).astype(np.float32)
    assert not predictor.predict_image(image, PredictOptions()).labels.any()


def test_the_real_case_predicts_on_its_own_grid_in_its_own_labels(real_case, trained_run, tmp_path):
    """The newcomer's check: a model trained on the synthetic cohort, the real 1 mm case."""
    out = tmp_path / "real"
    assert main(["predict", str(real_case), "--model", str(trained_run), "--out", str(out),
                 "--device", "cpu", "--overlap", "0"]) == 0  # fmt: skip
    source = nib.load(str(real_case / "TCGA-FG-6692_flair.nii.gz"))
    seg = nib.load(str(out / "TCGA-FG-6692.nii.gz"))
    assert seg.shape == source.shape == (240, 240, 155)
    assert np.array_equal(seg.affine, source.affine)
    assert nib.aff2axcodes(seg.affine) == nib.aff2axcodes(source.affine)
    assert (seg.header["qform_code"], seg.header["sform_code"]) == (
        source.header["qform_code"], source.header["sform_code"],
    )  # fmt: skip
    assert set(np.unique(np.asarray(seg.dataobj))) <= {0, 1, 2, 4}


def test_bad_options_are_one_line_errors(trained_run, case, capsys):
    folder = str(case.images[0].path.parent)
    for flag in (["--overlap", "1.5"], ["--min-voxels", "0,-1,0"]):
        assert main(["predict", folder, "--model", str(trained_run), "--out", "x", *flag]) == 2
        err = capsys.readouterr().err
        assert flag[0] in err and "Traceback" not in err


def test_a_run_never_validated_predicts_with_its_last_checkpoint(trained_run, case, tmp_path):
    run = tmp_path / "unvalidated"
    shutil.copytree(trained_run, run)
    (run / "checkpoints" / "best.pt").unlink()
    table = predict(run, case, tmp_path / "out", device="cpu", progress=False)
    assert table["written"].tolist() == [True]


def test_explicit_brats2023_files_give_the_id_and_the_2023_labels(trained_run, case, tmp_path):
    import shutil

    names = {}
    for flag, ref in zip(("t1n", "t1c", "t2w", "t2f"), case.images):
        names[flag] = tmp_path / f"BraTS-GLI-00007-001-{flag}.nii.gz"
        shutil.copy(ref.path, names[flag])
    files = [f"--{flag}={path}" for flag, path in names.items()]
    assert main(["predict", *files, "--model", str(trained_run), "--out", str(tmp_path / "o"),
                 "--device", "cpu"]) == 0  # fmt: skip
    labels = _labels(tmp_path / "o" / "BraTS-GLI-00007-001.nii.gz")
    assert set(np.unique(labels)) <= {0, 1, 2, 3}
    from smart_brains.data.discovery import explicit_case

    files21 = {m: r.path for m, r in zip(("t1", "t1ce", "t2", "flair"), case.images)}
    assert (explicit_case(files21).case_id, explicit_case(files21).convention) == (
        case.case_id,
        "brats2021",
    )
    files23 = dict(zip(("t1", "t1ce", "t2", "flair"), names.values()))
    assert explicit_case(files23).convention == "brats2023"
    assert explicit_case(files23, "mine", "brats2021").case_id == "mine"


def test_a_full_disk_is_one_line_and_leaves_nothing_partial(
    trained_run, case, tmp_path, capsys, monkeypatch
):
    import errno

    def full(img, path):
        open(path, "wb").write(b"partial")  # what a write cut short leaves
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(nib, "save", full)
    out = tmp_path / "out"
    folder = str(case.images[0].path.parent)
    assert (
        main(["predict", folder, "--model", str(trained_run), "--out", str(out), "--device", "cpu"])
        == 2
    )
    err = capsys.readouterr().err
    assert "No space left on device" in err and err.count("\n") == 1 and "Traceback" not in err
    assert list(out.iterdir()) == []  # no temporary, no half-written segmentation


def test_prediction_imports_nothing_it_does_not_need():
    """A cold start pays for every import: prediction must not pull in the training engine,
    MONAI or pandas before the first case (pandas is imported beside the computation)."""
    import subprocess
    import sys

    code = (
        "import sys, smart_brains.cli, smart_brains.inference.predict; "
        "print(sorted(m for m in ('monai', 'pandas', 'smart_brains.training.loop', "
        "'matplotlib', 'sklearn') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_precision_is_checked_and_cpu_bf16_follows_the_hardware():
    import torch

    with pytest.raises(Exception, match="--precision"):
        PredictOptions(precision="fp16")
    cpu = torch.device("cpu")
    assert PredictOptions(precision="fp32").autocast_dtype(cpu) is None
    assert PredictOptions(precision="bf16").autocast_dtype(cpu) == torch.bfloat16
    assert PredictOptions().autocast_dtype(torch.device("cuda")) == torch.bfloat16
    assert PredictOptions().windows_per_pass(cpu) == 2
    assert PredictOptions().windows_per_pass(torch.device("cuda")) == 8


def test_bfloat16_and_float32_predictions_agree(trained_run):
    predictor = Predictor.from_checkpoints([trained_run], "cpu")
    image = np.random.default_rng(3).random((4, 30, 34, 28)).astype(np.float32)
    fp32 = predictor.predict_image(image, PredictOptions(precision="fp32", tta="3"))
    bf16 = predictor.predict_image(image, PredictOptions(precision="bf16", tta="3"))
    assert np.abs(fp32.probabilities - bf16.probabilities).max() < 0.05
    assert (fp32.labels == bf16.labels).mean() > 0.99


def test_unknown_cases_are_named_not_a_traceback(trained_run, data, tmp_path, capsys):
    code = main(["predict", str(data), "--model", str(trained_run), "--out", str(tmp_path / "o"),
                 "--cases", "nope", "--device", "cpu"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "no case nope" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_a_run_predicts_at_its_own_spacing_and_writes_on_the_case_grid(
    trained_run, tmp_path, monkeypatch
):
    """The session's run trained at 4 mm; a 2 mm case is resampled to 4 mm for the network and
    its labels come back on the 2 mm grid, geometry and header the input's."""
    from smart_brains.config import load_config
    from smart_brains.synth.cohort import synth_cohort

    assert load_config(trained_run / "config.yaml").spacing_mm == (4.0, 4.0, 4.0)
    data = tmp_path / "fine"
    synth_cohort(data, n_cases=1, seed=11, spacing_mm=2.0, progress=False)
    seen = []
    original = Predictor.probabilities

    def spy(self, normalised, options):
        result = original(self, normalised, options)
        seen.append((normalised.shape[1:], self.cfg.output.decode(result[0])))
        return result

    monkeypatch.setattr(Predictor, "probabilities", spy)
    out = tmp_path / "out"
    assert main(["predict", str(data), "--model", str(trained_run), "--out", str(out), "--device", "cpu"]) == 0  # fmt: skip
    case = discover(data)[0]
    written = nib.load(str(out / f"{case.case_id}.nii.gz"))
    source = nib.load(str(case.images[0].path))
    assert written.shape == source.shape == (120, 120, 78)
    assert np.array_equal(written.affine, source.affine)
    assert written.header.get_zooms() == source.header.get_zooms()
    # the network saw exactly the brain's box on the 4 mm grid (60 x 60 x 39 voxels)
    ((shape, labels_4mm),) = seen
    image = load_case(case, with_seg=False).image
    brain = np.any(resize(image, (60, 60, 39)) != 0, axis=0)
    box = [np.flatnonzero(brain.any(axis=tuple(a for a in range(3) if a != i))) for i in range(3)]
    assert shape == tuple(int(b[-1] - b[0] + 1) for b in box)
    # and the tumour it found there came back where it was found, on the 2 mm grid
    found = np.zeros((60, 60, 39), bool)
    found[tuple(slice(b[0], b[-1] + 1) for b in box)] = labels_4mm > 0
    back = resize(found[None].astype(np.float32), written.shape)[0] > 0.5
    wt = np.asarray(written.dataobj) > 0
    # (post-processing and the probabilities' interpolation only trim it: the barely trained
    # model's tumour is speckled; a flipped or shifted grid leaves most of it outside)
    assert np.count_nonzero(wt) > 100 and np.count_nonzero(back & wt) > 0.8 * np.count_nonzero(wt)
    volumes = pd.read_csv(tmp_path / "out-extras" / "volumes.csv")
    assert volumes.WT_cm3[0] == pytest.approx(np.count_nonzero(wt) * 8 / 1000)
