"""Real brains as hosts of grown tumours: the patient's tumour taken out by its mirror image,
grown cases labelled, pushed and painted, and cohorts of both kinds from the command line."""

import json

import nibabel as nib
import numpy as np
import pytest

from conftest import make_phantom_case, phantom
from smart_brains.cli import main
from smart_brains.data.check import check_dataset
from smart_brains.synth.glioma import GliomaPlan
from smart_brains.synth.grown import grown_case, push
from smart_brains.synth.hosts import Source, healthy, levels, tissue
from smart_brains.synth.real_cohort import real_case


@pytest.fixture(scope="module")
def source():
    images, _, labels, affine = phantom()
    return Source("phantom", images / np.percentile(images[0][images[0] > 0], 99), labels, affine)


def test_the_tumour_is_replaced_by_its_mirror_image(source):
    host = healthy(source)
    assert not host.labels.any()
    tumour = source.labels > 0
    mirrored = np.flip(source.images, axis=1)  # the phantom's midline is the grid's centre
    inner = tumour & np.flip(~tumour, axis=0)
    np.testing.assert_allclose(host.images[:, inner], mirrored[:, inner], rtol=0.02, atol=0.02)
    far = np.ones_like(tumour)
    far[20:60] = False  # the other hemisphere, well away from the tumour's side
    assert np.array_equal(host.images[:, far], source.images[:, far])


def test_a_tumour_across_the_midline_is_filled_from_around_it(source):
    labels = source.labels.copy()
    labels[26:34, 30:40, 20:28] = 1  # across the midline (x = 29.5): the mirror is tumour too
    host = healthy(Source("across", source.images, labels, source.affine))
    brain = source.brain
    assert np.all(host.images[:, brain & (labels > 0)] > 0)  # no hole left
    fractions, _ = tissue(host.images)
    white, csf = levels(host.images, fractions)
    assert np.all(white > 0) and csf[2] > white[2]  # CSF bright on T2


def test_the_mass_effect_pushes_tissue_away_from_the_tumour(source):
    images = healthy(source).images
    plan = GliomaPlan(
        "necrotic",
        "deep",
        ((38, 35, 24),),
        0.0,
        60.0,
        0.5,
        0.3,
        1.0,
        0.3,
        2.0,
        5.0,
        0.5,
        0.1,
        0.5,
        0,
    )  # fmt: skip  (a focus beside the right ventricle)
    pushed = push(images, plan, 2.0)
    bright = 0.8 * images[2].max()  # CSF: the ventricles, the only tissue this bright on T2
    ventricle, moved = images[2] > bright, pushed[2] > bright
    centre = np.array(plan.seeds_vox[0])
    nearest = lambda mask: np.linalg.norm(np.argwhere(mask) - centre, axis=1).min()  # noqa: E731
    assert nearest(moved) >= nearest(ventricle) + 1.5  # the ventricle moved away from the focus


def test_grown_cases_are_deterministic_labelled_and_of_every_look(source):
    hosts = [healthy(source)]
    a = grown_case(hosts, seed=1, index=2, appearance="random")
    b = grown_case(hosts, seed=1, index=2, appearance="random")
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    images, labels, affine, params = a
    assert images.shape == (4, *labels.shape) and (labels > 0).any()
    assert params["tumour"] == "grown" and params["wt_cm3"] > 0
    assert not (labels[~(images.max(0) > 0)] > 0).any()
    fixed = grown_case(hosts, seed=1, index=2, appearance="fixed")
    assert np.array_equal(fixed[1], labels) and not np.array_equal(fixed[0], images)
    mode = real_case([source], hosts, 1, 3, tumours="growth", mode="necrotic-large")
    assert mode[3]["kind"] == "necrotic" and mode[3]["wt_cm3"] > 40


def test_the_cli_writes_grown_and_transplanted_cases_that_check_clean(tmp_path, capsys):
    sources = [make_phantom_case(tmp_path / "src", f"BraTS2021_0000{i}", seed=i) for i in range(2)]
    out = tmp_path / "cohort"
    args = ["synth", "--out", str(out), "--n", "6", "--spacing", "2", "--tumours", "growth",
            "--appearance", "random", *(a for s in sources for a in ("--real-source", str(s)))]  # fmt: skip
    assert main(args) == 0
    found, problems, _ = check_dataset(out)
    assert problems == [] and len(found.cases) == 6
    kinds = {json.loads(p.read_text())["tumour"] for p in out.glob("*/params.json")}
    assert kinds == {"grown", "transplanted"}  # real tumours stay part of the cohort
    seg = nib.load(str(out / "BraTS2021_00000" / "BraTS2021_00000_seg.nii.gz"))
    assert set(np.unique(np.asarray(seg.dataobj))) <= {0, 1, 2, 4}
    cohort = json.loads((out / "cohort.json").read_text())
    assert cohort["tumours"] == "growth" and cohort["appearance"] == "random"


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--tumours", "transplant"], "needs --real-source"),
        (["--tumours", "shapes", "--real-source", "x"], "is for the template cohort"),
        (["--timepoints", "2", "--glioma", "diffuse-large"], "leave out"),
    ],
)
def test_options_that_do_not_go_together_are_refused_in_one_line(tmp_path, capsys, extra, message):
    assert main(["synth", "--out", str(tmp_path / "o"), "--n", "1", *extra]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
