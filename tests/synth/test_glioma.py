"""Grown gliomas: the volume planned, labels nested inside the brain, rims within their
thickness, necrosis where planned, white matter preferred, lobes where they belong, and each
failure-mode preset making its kind."""

from dataclasses import replace

import numpy as np
import pytest
from scipy import ndimage

from conftest import phantom
from smart_brains.data.labels import ED, ET, NCR
from smart_brains.synth.anatomy import tissue_fractions
from smart_brains.synth.brains import to_common_scale
from smart_brains.synth.cohort import SynthConfig, synth_case
from smart_brains.synth.glioma import (
    LOBES,
    MODES,
    RIM_MM,
    grow_glioma,
    lobe_masks,
    sample_glioma,
    seed_candidates,
)

SPACING = 2.0


@pytest.fixture(scope="module")
def host():
    images, _, labels, affine = phantom(shape=(76, 84, 64))
    brain = images[0] > 0
    fractions = tissue_fractions(to_common_scale(images[0], brain)) * brain
    return fractions, brain, affine


def _plan(host, kind, seed=0, **changes):
    fractions, brain, affine = host
    candidates = seed_candidates(fractions, brain, affine, SPACING)
    plan = sample_glioma(np.random.default_rng(seed), candidates, SPACING, kind=kind)
    return replace(plan, seeds_vox=plan.seeds_vox[:1], **changes)


@pytest.mark.parametrize("kind", ["necrotic", "solid", "patchy", "diffuse"])
def test_each_kind_grows_to_its_volume_with_nested_labels(host, kind):
    fractions, brain, _ = host
    plan = _plan(host, kind, wt_cm3=40.0, core_fraction=0.4)
    maps = grow_glioma(plan, fractions, brain, SPACING)
    labels = maps.labels
    cm3 = SPACING**3 / 1000
    assert set(np.unique(labels)) <= {0, NCR, ED, ET}
    assert not (labels[~brain] > 0).any()
    assert 40 * 0.7 < (labels > 0).sum() * cm3 < 40 * 1.5
    core = np.isin(labels, (NCR, ET))
    assert 0.2 < core.sum() / (labels > 0).sum() < 0.7
    assert not (maps.necrosis & (labels != NCR)).any()  # necrosis is part of NCR/NET
    assert np.all((maps.strength >= 0.6) == (labels > 0))  # labelled means visible
    if kind == "necrotic":
        assert maps.necrosis.any() and (labels == ET).any()
    if kind in ("solid", "patchy", "diffuse"):
        assert not maps.necrosis.any()
    if kind == "solid":
        assert (labels == ET).sum() > (labels == NCR).sum()
    if kind == "patchy":
        assert 0 < (labels == ET).sum() < (labels == NCR).sum()


def test_the_rim_is_between_its_limits_and_necrosis_takes_its_share(host):
    fractions, brain, _ = host
    plan = _plan(host, "necrotic", wt_cm3=80.0, core_fraction=0.7, necrosis_fraction=0.5)
    maps = grow_glioma(plan, fractions, brain, SPACING)
    core = np.isin(maps.labels, (NCR, ET))
    assert 0.25 < maps.necrosis.sum() / core.sum() < 0.75
    depth = (ndimage.distance_transform_edt(core) - 0.5) * SPACING  # mm inside the core
    assert depth[maps.necrosis].min() >= RIM_MM[0]  # necrosis never reaches the core's border
    assert depth[maps.labels == ET].max() <= RIM_MM[1] + SPACING


def test_the_same_plan_grows_the_same_tumour(host):
    fractions, brain, _ = host
    plan = _plan(host, "necrotic", seed=3)
    a = grow_glioma(plan, fractions, brain, SPACING)
    b = grow_glioma(plan, fractions, brain, SPACING)
    assert np.array_equal(a.labels, b.labels)


def test_oedema_prefers_white_matter(host):
    fractions, brain, _ = host
    plan = _plan(host, "solid", wt_cm3=60.0, core_fraction=0.2, oedema_grey=0.02)
    oedema = grow_glioma(plan, fractions, brain, SPACING).labels == ED
    white = fractions[2] > 0.5
    box = ndimage.binary_dilation(oedema, iterations=4) & brain  # tissue the oedema could reach
    assert white[oedema].mean() > white[box].mean() + 0.1


def test_lobes_sit_where_they_belong_and_are_drawn_by_frequency(host):
    fractions, brain, affine = host
    masks = lobe_masks(affine, brain)
    world = np.indices(brain.shape).reshape(3, -1).T @ affine[:3, :3].T + affine[:3, 3]
    mean = {k: world[m.reshape(-1)].mean(0) for k, m in masks.items()}
    assert mean["frontal"][1] > mean["parietal"][1] > mean["occipital"][1]  # anterior first
    assert mean["temporal"][2] < mean["frontal"][2] and mean["temporal"][2] < mean["parietal"][2]
    candidates = seed_candidates(fractions, brain, affine, SPACING)
    rng = np.random.default_rng(0)
    drawn = [sample_glioma(rng, candidates, SPACING).lobe for _ in range(600)]
    for lobe, rate in LOBES.items():
        assert abs(drawn.count(lobe) / 600 - rate) < 0.05


@pytest.mark.parametrize("mode", list(MODES))
def test_each_failure_mode_makes_its_kind_on_the_held_out_brain(mode):
    case = synth_case(SynthConfig.held_out(spacing_mm=2.0, glioma=mode, tumours="growth"), 0)
    plan, volumes = case["params"]["glioma"], case["params"]["volumes_mm3"]
    wt, tc, et = (volumes[r] / 1000 for r in ("WT", "TC", "ET"))
    assert plan["kind"] == MODES[mode]["kind"]
    if mode == "diffuse-large":
        assert wt > 100 and et < 0.15 * wt
    if mode == "necrotic-large":
        necrosis = plan["necrosis_fraction"]
        assert wt > 60 and tc > 0.3 * wt and 0.4 <= necrosis <= 0.6
    if mode == "small-temporal":
        assert plan["lobe"] == "temporal" and 15 < wt < 70 and tc < 0.2 * wt
