import json

import nibabel as nib
import numpy as np
import pytest

from smart_brains.cli import main
from smart_brains.data.discovery import discover
from smart_brains.data.labels import ED, ET, NCR
from smart_brains.synth.anatomy import tissue_fractions
from smart_brains.synth.brains import load_template
from smart_brains.synth.cohort import SynthConfig, synth_case

CFG = SynthConfig(n_cases=4, seed=3, spacing_mm=3.0)


@pytest.fixture(scope="module")
def cases():
    return [synth_case(CFG, i) for i in range(4)]


def test_cli_writes_valid_brats2021_cases(tmp_path, capsys):
    out = tmp_path / "cohort"
    assert main(["synth", "--n", "2", "--out", str(out), "--spacing", "4", "--seed", "1"]) == 0
    cases = discover(out)
    assert [c.case_id for c in cases] == ["BraTS2021_00000", "BraTS2021_00001"]
    assert main(["check", str(out)]) == 0
    seg = nib.load(str(cases[0].seg))
    assert seg.get_data_dtype() == np.uint8
    assert set(np.unique(np.asarray(seg.dataobj))) <= {0, 1, 2, 4}
    t1 = nib.load(str(cases[0].images[0].path))
    assert t1.get_data_dtype() == np.int16 and t1.shape == (60, 60, 39)
    assert np.allclose(
        t1.affine,
        np.diag([-4, -4, 4, 1])
        + np.array([[0, 0, 0, 0], [0, 0, 0, 236], [0, 0, 0, 0], [0, 0, 0, 0]]),
    )
    manifest = json.loads((out / "cohort.json").read_text())
    assert set(manifest["cases"]) == {"BraTS2021_00000", "BraTS2021_00001"}


def test_refuses_to_write_into_a_folder_of_other_data(tmp_path, capsys):
    (tmp_path / "mine.txt").write_text("precious")
    assert main(["synth", "--n", "1", "--out", str(tmp_path), "--spacing", "4"]) == 2
    assert "not a synthetic cohort" in capsys.readouterr().err
    assert (tmp_path / "mine.txt").read_text() == "precious"


def test_deterministic_per_seed_and_index(cases):
    again = synth_case(CFG, 1)
    assert np.array_equal(again["labels"], cases[1]["labels"])
    assert np.array_equal(again["images"]["flair"], cases[1]["images"]["flair"])
    assert not np.array_equal(cases[0]["labels"], cases[1]["labels"])
    other = synth_case(SynthConfig(seed=4, spacing_mm=3.0), 1)
    assert not np.array_equal(other["images"]["t1"], cases[1]["images"]["t1"])


def test_every_case_has_a_tumour_inside_the_brain(cases):
    for case in cases:
        brain = case["images"]["t1"] > 0
        labels = case["labels"]
        assert (labels > 0).sum() > 50
        assert not (labels[~brain] > 0).any()
        assert all((case["images"][m] > 0).sum() == brain.sum() for m in case["images"])  # one mask


def test_enhancing_and_necrosis_sit_inside_oedema(cases):
    from scipy import ndimage

    for case in cases:
        labels = case["labels"]
        core = np.isin(labels, (NCR, ET))
        if not core.any() or case["params"]["kind"] == "meningioma":  # extra-axial, little oedema
            continue
        # the core's outer shell is mostly surrounded by oedema, not by healthy tissue
        shell = ndimage.binary_dilation(core) & ~core  # one 3-mm voxel
        assert (labels[shell] == ED).mean() > 0.5


def test_modality_contrasts(cases):
    case = cases[0]
    t1, t1ce, t2, flair = (case["images"][m].astype(float) for m in ("t1", "t1ce", "t2", "flair"))
    labels = case["labels"]
    ed = labels == ED
    healthy = (labels == 0) & (t1 > 0)
    assert flair[ed].mean() > 1.2 * flair[healthy].mean()
    assert t2[ed].mean() > t2[healthy].mean()
    if (labels == ET).any():
        assert t1ce[labels == ET].mean() > 1.3 * t1ce[healthy].mean()


def test_confounders_exist(cases):
    """Bright non-tumour voxels on T1ce (vessels, choroid plexus) and CSF as dark as necrosis on T1."""
    case = cases[0]
    labels, t1ce = case["labels"], case["images"]["t1ce"].astype(float)
    brain = t1ce > 0
    if (labels == ET).any():
        et_level = np.median(t1ce[labels == ET])
        assert ((t1ce > 0.9 * et_level) & (labels == 0) & brain).sum() > 5


def test_tissue_fractions_sum_to_one():
    t = np.linspace(0, 1, 50)
    fractions = tissue_fractions(t)
    assert np.allclose(fractions.sum(0), 1) and (fractions >= 0).all()
    template = load_template()
    csf, gm, wm = tissue_fractions(template.t1[template.t1 > 0.1])
    assert 0.05 < csf.mean() < 0.4 and 0.2 < wm.mean() < 0.6  # brain-like proportions


def test_tumour_types_look_like_their_kind():
    from scipy import ndimage

    seen = set()
    for i in range(12):
        case = synth_case(SynthConfig(seed=7, spacing_mm=3.0), i)
        kind, labels = case["params"]["kind"], case["labels"]
        seen.add(kind)
        brain = case["images"]["t1"] > 0
        depth = ndimage.distance_transform_edt(brain)[labels > 0].min() * 3.0
        if kind == "meningioma":  # dural-based: on the brain's surface, uniformly enhancing
            assert depth <= 6 and not (labels == NCR).any()
        if case["params"]["grade"] == "LGG":
            assert (labels == ET).sum() < (labels == NCR).sum()
        assert (case["params"]["grade"] != "") == (kind == "glioma")
    assert seen == {"glioma", "metastasis", "meningioma"}


def test_grown_gliomas_with_a_random_look_from_the_cli(tmp_path):
    out = tmp_path / "grown"
    args = ["synth", "--n", "6", "--out", str(out), "--spacing", "3", "--seed", "2",
            "--tumours", "growth", "--appearance", "random"]  # fmt: skip
    assert main(args) == 0 and main(["check", str(out)]) == 0
    manifest = json.loads((out / "cohort.json").read_text())
    assert manifest["config"]["tumours"] == "growth"
    assert manifest["config"]["appearance"] == "random"
    cases = manifest["cases"].values()
    gliomas = [c for c in cases if c["kind"] == "glioma"]
    assert gliomas and all("glioma" in c and not c["lesions"] for c in gliomas)  # grown
    assert all(c["grade"] in ("HGG", "LGG") for c in gliomas)
    assert all(c["lesions"] for c in cases if c["kind"] != "glioma")  # others still drawn
    labels = (out / "labels.csv").read_text()
    assert all(c["case_id"] in labels for c in cases)


def test_the_fixed_cohort_is_unchanged_by_the_new_options():
    """Version 4's cohort (drawn tumours, one look) is the same image for image."""
    a = synth_case(CFG, 0)
    b = synth_case(SynthConfig(n_cases=4, seed=3, spacing_mm=3.0, tumours="shapes"), 0)
    assert np.array_equal(a["images"]["t1ce"], b["images"]["t1ce"])
    random = synth_case(SynthConfig(n_cases=4, seed=3, spacing_mm=3.0, appearance="random"), 0)
    assert np.array_equal(random["labels"], a["labels"])  # the same tumour, another look
    assert not np.array_equal(random["images"]["t1ce"], a["images"]["t1ce"])
