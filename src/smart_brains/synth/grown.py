"""A real brain with a tumour grown in it: real anatomy and scanner, a new tumour of any kind.

Case by case (deterministic per seed and index): a healthy host (``hosts.healthy``: a real
source with its own tumour taken out) is moved and deformed as ``transplant.transplant_case``
moves its brains; a glioma is planned on its tissue (``glioma.sample_glioma``: kind, lobe,
size); the host is pushed away from the tumour's centre by the plan's mass effect
(``anatomy.mass_effect``: ventricles compressed, the midline shifted for large tumours); the
tumour is grown on the pushed tissue (``glioma.grow_glioma``) and painted with an appearance per
sub-region (``appearance``), with the host's own noise level; finally the acquisition is
randomised as for transplanted cases (contrast curves, bias, noise, thick slices).
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from smart_brains.data.resample import spacing_of
from smart_brains.synth.anatomy import mass_effect
from smart_brains.synth.appearance import fixed_appearance, paint, random_appearance
from smart_brains.synth.glioma import GliomaPlan, grow_glioma, sample_glioma, seed_candidates
from smart_brains.synth.hosts import Source, levels, tissue
from smart_brains.synth.transplant import random_rotation, randomise_contrast, sample_at, warp


def push(images: np.ndarray, plan: GliomaPlan, spacing_mm: float) -> np.ndarray:
    """``images`` (C, X, Y, Z) with the plan's mass effect: tissue pushed away from its first
    focus, within about the tumour's radius (``anatomy.mass_effect``)."""
    if plan.push <= 0:
        return images
    shape = images.shape[1:]
    grid = np.stack(
        np.meshgrid(*[np.arange(n, dtype=np.float32) for n in shape], indexing="ij"), -1
    )
    centre = np.asarray(plan.seeds_vox[0], dtype=np.float32)
    source = mass_effect(grid * spacing_mm, centre * spacing_mm, plan.radius_mm, plan.push)
    moved, _ = sample_at(images, np.zeros(shape, np.uint8), source / spacing_mm)
    return moved


def noise_level(images: np.ndarray, white_matter: np.ndarray) -> np.ndarray:
    """(C,) standard deviation of each image's voxel-scale noise in white matter (the residual
    after a 1-voxel Gaussian smoothing)."""
    out = []
    for x in images:
        residual = x - ndimage.gaussian_filter(x, 1.0)
        out.append(float(np.std(residual[white_matter])) if white_matter.any() else 0.0)
    return np.asarray(out, np.float32)


def grown_case(
    hosts: list[Source],
    seed: int,
    index: int,
    appearance: str = "random",
    mode: str | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """Case ``index``: images (4, X, Y, Z) float32, internal labels, affine and parameters.

    Args:
        hosts: healthy real brains (``hosts.healthy``), on one grid spacing.
        appearance: 'random' (a look per sub-region) or 'fixed' (the template's one look).
        mode: a ``glioma.MODES`` preset (test cases of one kind), or None.
    """
    rng = np.random.default_rng([seed, index, 13])
    host = hosts[int(rng.integers(len(hosts)))]
    spacing = float(spacing_of(host.affine)[0])
    matrix = random_rotation(rng, 12) @ np.diag(rng.uniform(0.85, 1.15, 3))
    flip = bool(rng.random() < 0.5)
    if flip:
        matrix = matrix @ np.diag([-1.0, 1, 1])
    shift = rng.uniform(-8, 8, 3) / spacing
    images, _ = warp(host.images, host.labels, matrix, shift, rng.uniform(3, 6) / spacing, rng)
    fractions, brain = tissue(images)
    plan = sample_glioma(
        rng, seed_candidates(fractions, brain, host.affine, spacing), spacing, mode
    )
    images = push(images, plan, spacing)
    fractions, brain = tissue(images)
    maps = grow_glioma(plan, fractions, brain, spacing)
    white, csf = levels(images, fractions)
    if appearance == "random":
        look = random_appearance(rng, np.clip(csf / white, 0.25, 0.7))
    else:
        look = fixed_appearance(rng)
    painted = paint(images, white, maps, look, spacing, rng)
    tumour = ndimage.gaussian_filter((maps.labels > 0).astype(np.float32), 1.0)
    sigma = noise_level(images, fractions[2] > 0.9)
    painted += tumour * sigma[:, None, None, None] * rng.standard_normal(images.shape, np.float32)
    images = randomise_contrast(np.clip(painted, 0, None) * brain, rng)
    volume = spacing**3 / 1000
    params = {
        "host": host.name, "flip": flip, "tumour": "grown", "kind": plan.kind,
        "lobe": plan.lobe, "foci": len(plan.seeds_vox), "appearance": appearance,
        "wt_cm3": round(float((maps.labels > 0).sum() * volume), 2),
        "tc_cm3": round(float(np.isin(maps.labels, (1, 3)).sum() * volume), 2),
        "et_cm3": round(float((maps.labels == 3).sum() * volume), 2),
        "necrosis_cm3": round(float(maps.necrosis.sum() * volume), 2),
    }  # fmt: skip
    return images, maps.labels, host.affine, params
