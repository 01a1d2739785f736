"""Packaged models: safetensors files that load without executing code, listed by `models`,
used by `predict` without --model; the shipped one segments real scans above a floor."""

import nibabel as nib
import numpy as np
import pytest
import torch

from smart_brains.checkpoint import (
    DEFAULT_MODEL,
    load_weights,
    packaged_models,
    packaged_path,
    read_packaged,
    save_packaged,
)
from smart_brains.cli import main
from smart_brains.errors import DataError
from smart_brains.models.registry import build_model
from smart_brains.paths import RunDir


def test_a_packaged_model_round_trips_without_pickle(trained_run, tmp_path):
    state, cfg = load_weights(RunDir(trained_run).weights)
    path = save_packaged(
        tmp_path / "m.safetensors", state, cfg, {"min_voxels": {"WT": 5, "TC": 0, "ET": 2}}
    )
    assert path.read_bytes()[8:9] == b"{"  # a JSON header, then raw tensors: nothing to unpickle
    tensors, meta = read_packaged(path)
    assert all(t.dtype == torch.float16 for t in tensors.values())
    again, cfg2 = load_weights(path)
    assert cfg2 == cfg and again.keys() == state.keys()
    for key, value in state.items():
        assert torch.allclose(again[key], value.float(), rtol=1e-2, atol=1e-3), key


def test_predict_takes_a_packaged_file_and_its_tuning(trained_run, tmp_path, capsys):
    """The same weights packaged twice: with a tuning that removes every component, and
    without (the control): only the tuning empties the segmentations."""
    state, cfg = load_weights(RunDir(trained_run).weights)
    data = trained_run.parents[1] / "data"
    found = {}
    for name, tuning in (("tuned", {"min_voxels": {"WT": 10**9, "TC": 0, "ET": 0}}), ("plain", {})):
        path = save_packaged(tmp_path / f"{name}.safetensors", state, cfg, tuning)
        out = tmp_path / name
        command = ["predict", str(data), "--model", str(path), "--out", str(out), "--device", "cpu"]
        assert main(command) == 0
        segs = sorted(out.glob("*.nii.gz"))
        assert len(segs) == len([p for p in data.iterdir() if p.is_dir()]) > 0
        found[name] = sum(np.count_nonzero(np.asarray(nib.load(str(s)).dataobj)) for s in segs)
    assert found["tuned"] == 0 < found["plain"]


def test_a_broken_or_unknown_model_is_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a model")
    with pytest.raises(DataError, match="not a smart-brains packaged model"):
        read_packaged(bad)
    assert (
        main(["predict", str(tmp_path), "--model", "no-such-model", "--out", str(tmp_path / "o")])
        == 2
    )
    err = capsys.readouterr().err
    assert "no packaged model 'no-such-model'" in err and "Traceback" not in err


def test_models_lists_architectures_and_packaged_models(capsys):
    assert main(["models"]) == 0
    text = capsys.readouterr().out
    assert "multiscale" in text and "packaged models" in text
    for name in packaged_models():
        assert name in text


def test_the_default_model_ships_with_the_package_and_loads_without_pickle():
    assert DEFAULT_MODEL in packaged_models()
    path = packaged_path(DEFAULT_MODEL)
    assert path.suffix == ".safetensors" and path.stat().st_size < 20e6
    _, meta = read_packaged(path)  # safetensors: tensors and JSON, no code runs
    assert "no real training case" in meta["info"]["trained_on"]
    state, cfg = load_weights(path)
    assert cfg.spacing_mm == (2.0, 2.0, 2.0)
    model = build_model(cfg.model, cfg.preset, len(cfg.modalities), cfg.out_channels)
    model.load_state_dict(state)  # strict: every weight of the network is in the file


def test_the_packaged_model_segments_a_real_case(real_val, tmp_path):
    case = real_val / "BraTS2021_00003"
    out = tmp_path / "real"
    assert main(["predict", str(case), "--out", str(out), "--device", "cpu"]) == 0
    pred = np.asarray(nib.load(str(out / "BraTS2021_00003.nii.gz")).dataobj)
    ref = np.asarray(nib.load(str(case / "BraTS2021_00003_seg.nii.gz")).dataobj)
    assert pred.shape == ref.shape == (240, 240, 155)
    a, b = pred > 0, ref > 0
    assert 2 * (a & b).sum() / (a.sum() + b.sum()) > 0.6  # whole tumour, a floor well below it
