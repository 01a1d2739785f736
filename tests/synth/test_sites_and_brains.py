"""The cohort's variety: source brains, per-case anatomy, acquisition sites, held-out cohort."""

import nibabel as nib
import numpy as np
import pandas as pd
import pytest

from smart_brains.cli import main
from smart_brains.synth.brains import CSF_LEVEL, GM_LEVEL, WM_LEVEL, load_template, to_common_scale
from smart_brains.synth.cohort import SynthConfig, synth_case, synth_cohort
from smart_brains.synth.sites import DEVELOPMENT_SITES, HELD_OUT_SITES, SITES, thick_slices


def test_development_and_held_out_cohorts_share_no_brain_and_no_site(tmp_path):
    synth_cohort(tmp_path / "dev", n_cases=3, seed=1, spacing_mm=4.0, progress=False)
    synth_cohort(
        tmp_path / "test", n_cases=2, seed=1, spacing_mm=4.0, progress=False, held_out=True
    )
    dev = pd.read_csv(tmp_path / "dev" / "labels.csv")
    test = pd.read_csv(tmp_path / "test" / "labels.csv")
    assert list(dev["site"]) == [0, 1, 2] and set(dev["brain"]) == {"mni2009a"}
    assert list(test["case_id"]) == ["BraTS2021_90000", "BraTS2021_90001"]
    assert set(test["brain"]) == {"avg152"} and set(test["site"]) == set(HELD_OUT_SITES)
    assert not set(HELD_OUT_SITES) & set(DEVELOPMENT_SITES)


def test_every_case_is_its_own_anatomy():
    cfg = SynthConfig(seed=2, spacing_mm=4.0)
    a, b = (synth_case(cfg, i)["images"]["t1"] > 0 for i in range(2))
    overlap = 2 * (a & b).sum() / (a.sum() + b.sum())
    assert overlap < 0.95  # head size, shape and position differ, not only the tumour


def test_the_two_built_in_brains_differ_and_share_the_intensity_scale():
    mni, avg = load_template("mni2009a"), load_template("avg152")
    assert mni.t1.shape != avg.t1.shape  # 1 mm and 2 mm sources
    for template in (mni, avg):
        brain = template.t1[template.t1 > 0]
        assert np.median(brain) == pytest.approx(GM_LEVEL, abs=0.12)
        assert (brain > WM_LEVEL - 0.05).mean() > 0.15  # white matter is where the scale puts it


def test_common_scale_sends_tissue_levels_to_the_common_levels():
    rng = np.random.default_rng(0)
    raw = rng.choice([300.0, 700.0, 900.0], size=(30, 30, 30)) + rng.normal(0, 10, (30, 30, 30))
    out = to_common_scale(raw, np.ones(raw.shape, bool))
    for level, target in ((300, CSF_LEVEL), (700, GM_LEVEL), (900, WM_LEVEL)):
        assert np.median(out[np.abs(raw - level) < 30]) == pytest.approx(target, abs=0.01)


def test_thick_slices_blur_along_their_axis_only():
    noise = np.random.default_rng(0).standard_normal((40, 40, 40)).astype(np.float32)
    thick = thick_slices(noise, axis=2, thickness_vox=5)
    along = np.abs(np.diff(thick, axis=2)).mean()
    across = np.abs(np.diff(thick, axis=0)).mean()
    assert along < 0.3 * across
    assert thick_slices(noise, axis=2, thickness_vox=1) is noise


def test_sites_render_the_same_case_differently():
    base = SynthConfig(seed=3, spacing_mm=4.0)
    images = [
        synth_case(SynthConfig(seed=3, spacing_mm=4.0, sites=(k,)), 0)["images"] for k in (0, 3)
    ]
    assert synth_case(base, 0)["params"]["site"] == 0
    flair0, flair3 = (i["flair"].astype(float) for i in images)
    brain = (flair0 > 0) & (flair3 > 0)
    assert np.median(flair0[brain]) > 3 * np.median(flair3[brain])  # intensity scale 1000 vs 150
    assert len(SITES) == 4


def test_a_case_folder_is_a_source_brain_with_its_tumour_masked(real_case, tmp_path):
    template = load_template(str(real_case))
    tumour = np.asarray(nib.load(str(next(real_case.glob("*_seg.nii.gz")))).dataobj) > 0
    assert np.all(template.t1[tumour] == WM_LEVEL)
    synth_cohort(tmp_path, 1, spacing_mm=4.0, progress=False, held_out=True, brain=str(real_case))
    assert pd.read_csv(tmp_path / "labels.csv")["brain"].tolist() == [real_case.name]


def test_unknown_brain_is_one_line_exit_2(tmp_path, capsys):
    assert main(["synth", "--n", "1", "--out", str(tmp_path / "x"), "--brain", "nope"]) == 2
    err = capsys.readouterr().err
    assert "nope" in err and "mni2009a" in err and "Traceback" not in err
    assert not (tmp_path / "x").exists()
