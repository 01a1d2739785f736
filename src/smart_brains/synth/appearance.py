"""What a tumour looks like, drawn per sub-region: each its own signal and texture per modality.

Zhang et al. (JBHI 2023) found texture randomisation decisive for zero-shot transfer to BraTS;
SynthSeg's lesson is to vary more than real scans do. So oedema, enhancing tumour, necrosis and
non-enhancing core each get a signal per modality drawn independently, as a multiple of the
host's white matter in that modality, over ranges wider than those measured on the 11 real
labelled cases in ``../shared`` (medians per region / white matter: oedema T1 0.62-1.02, T1ce
0.62-1.00, T2 1.34-2.07, FLAIR 1.36-2.18; enhancing T1ce 1.00-1.97; necrosis T1 0.35-1.17, T1ce
0.34-0.98, T2 1.67-3.31, FLAIR 1.33-2.66). Only the physically reliable orders are kept:
enhancing brighter than white matter on T1ce, necrosis and non-enhancing core darker than the
enhancing rim on T1ce, oedema bright on T2 and FLAIR. Necrosis ranges from CSF-like (cystic)
to white-matter-like on T1 and T1ce. Each region and modality also gets its own multiplicative
texture, a random mix of smooth noise at three scales (about 3, 10 and 30 mm).

``fixed_appearance`` is the one look of the earlier generators (the template's contrast table,
jittered 6 %): the ablation's baseline.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from smart_brains.data.labels import ED, ET, NCR
from smart_brains.synth.anatomy import smooth_field
from smart_brains.synth.tumour import LesionMaps

REGIONS = ("oedema", "enhancing", "necrosis", "non_enhancing")
# Signal / white matter per modality (t1, t1ce, t2, flair): the ranges drawn from.
RANGES: dict[str, tuple[tuple[float, float], ...]] = {
    "oedema": ((0.55, 1.05), (0.55, 1.05), (1.3, 2.4), (1.3, 2.4)),
    "enhancing": ((0.5, 1.15), (1.15, 2.2), (1.1, 2.4), (1.1, 2.6)),
    "necrosis": ((0.0, 1.0), (0.0, 1.0), (1.2, 3.4), (0.3, 2.8)),  # T1, T1ce: CSF..WM
    "non_enhancing": ((0.5, 1.0), (0.5, 1.0), (1.2, 2.5), (1.2, 2.5)),
}
# The template's contrast table (render.CONTRAST) / white matter: the fixed look.
FIXED = np.array([
    [0.55 / 0.85, 0.57 / 0.85, 1.50 / 0.62, 1.42 / 0.72],  # oedema
    [0.62 / 0.85, 1.35 / 0.85, 1.05 / 0.62, 1.05 / 0.72],  # enhancing
    [0.32 / 0.85, 0.32 / 0.85, 1.60 / 0.62, 0.45 / 0.72],  # necrosis
    [0.50 / 0.85, 0.52 / 0.85, 1.20 / 0.62, 1.15 / 0.72],  # non-enhancing
], dtype=np.float32)  # fmt: skip
SCALES_MM = (3.0, 10.0, 30.0)


@dataclass(frozen=True)
class Appearance:
    """One tumour's look.

    Attributes:
        levels: (4 regions, 4 modalities) signal / the host's white matter, regions in
            ``REGIONS`` order, modalities t1, t1ce, t2, flair.
        texture: (4 regions, 4 modalities, 3 scales) log-amplitude of each scale's noise.
        oedema_mix: share of the host's own signal (scaled to the oedema's level) that oedema
            keeps: 0 flat, 0.6 gyri and sulci show through.
        edge_mm: width of the blend between regions (partial volume, infiltration).
    """

    levels: np.ndarray
    texture: np.ndarray
    oedema_mix: float
    edge_mm: float


def fixed_appearance(rng: np.random.Generator) -> Appearance:
    """The earlier generators' single look, jittered 6 % per region and modality."""
    levels = FIXED * rng.uniform(0.94, 1.06, FIXED.shape).astype(np.float32)
    texture = np.zeros((4, 4, 3), np.float32)
    texture[..., 1] = 0.06
    return Appearance(levels, texture, 0.15, 0.5)


def random_appearance(rng: np.random.Generator, csf: np.ndarray) -> Appearance:
    """An independent look per region and modality (``RANGES``, orders kept).

    Args:
        csf: (4,) the host's CSF signal / white matter per modality: necrosis on T1 and T1ce
            is drawn between CSF (0) and white matter (1) and mapped through it.
    """
    levels = np.array([[rng.uniform(*r) for r in RANGES[name]] for name in REGIONS], np.float32)
    necrosis = REGIONS.index("necrosis")
    cystic = rng.uniform(0, 1)  # one draw for T1 and T1ce, jittered: cystic on both or neither
    for c in (0, 1):
        mix = np.clip(cystic + rng.normal(0, 0.1), 0, 1)
        levels[necrosis, c] = csf[c] + mix * (1 - csf[c])
    enhancing = levels[REGIONS.index("enhancing"), 1]
    for name in ("necrosis", "non_enhancing"):  # darker than the enhancing rim on T1ce
        r = REGIONS.index(name)
        levels[r, 1] = min(levels[r, 1], 0.85 * enhancing)
    texture = rng.uniform(0, 1, (4, 4, 3)).astype(np.float32) * np.array(
        [0.12, 0.10, 0.08], np.float32
    )
    return Appearance(levels, texture, float(rng.uniform(0.0, 0.6)), float(rng.uniform(0.4, 2.0)))


def region_masks(maps: LesionMaps) -> list[np.ndarray]:
    """(X, Y, Z) bool per region of ``REGIONS``: oedema, enhancing, necrosis, non-enhancing."""
    core = maps.labels == NCR
    return [maps.labels == ED, maps.labels == ET, core & maps.necrosis, core & ~maps.necrosis]


def _box(mask: np.ndarray, margin: int) -> tuple[slice, ...]:
    idx = np.argwhere(mask)
    lo = np.maximum(idx.min(0) - margin, 0)
    hi = np.minimum(idx.max(0) + margin + 1, mask.shape)
    return tuple(slice(a, b) for a, b in zip(lo, hi))


def paint(
    images: np.ndarray,
    white: np.ndarray,
    maps: LesionMaps,
    look: Appearance,
    spacing_mm: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Draw the tumour of ``maps`` into ``images`` (4, X, Y, Z) float32 (a copy).

    Args:
        white: (4,) the host's white-matter signal per modality (``levels`` multiply it).
        maps: the tumour; its ``strength`` (0..1, default 1) sets how far each voxel goes from
            the host's signal to the region's.
        spacing_mm: voxel size, for the texture scales and the blend width.
    """
    out = images.copy()
    if not (maps.labels > 0).any():
        return out
    box = _box(maps.labels > 0, int(np.ceil(3 * look.edge_mm / spacing_mm)) + 1)
    masks = [m[box] for m in region_masks(maps)]
    shape = masks[0].shape
    strength = np.ones(shape, np.float32) if maps.strength is None else maps.strength[box]
    fields = [
        smooth_field(shape, rng, max(2, int(round(max(shape) * spacing_mm / s))), 1)
        for s in SCALES_MM
    ]  # one set of fields; each region and modality mixes them with its own signs
    signs = rng.choice([-1.0, 1.0], size=(4, 4, 3)).astype(np.float32)
    sigma = look.edge_mm / spacing_mm / 2.355
    weight = np.zeros(shape, np.float32)
    for m in masks:
        weight += m
    weight = ndimage.gaussian_filter(weight * strength, sigma) if sigma > 0.2 else weight * strength
    for c in range(len(out)):
        host = out[c][box]
        target = np.zeros(shape, np.float32)
        for r, m in enumerate(masks):
            if not m.any():
                continue
            texture = np.exp(
                sum(signs[r, c, k] * look.texture[r, c, k] * fields[k] for k in range(3))
            )
            level = look.levels[r, c] * white[c] * texture
            if REGIONS[r] == "oedema":  # the host's structure shows through, at the oedema's level
                level = (1 - look.oedema_mix) * level + look.oedema_mix * host * look.levels[r, c]
            target += m * level
        if sigma > 0.2:  # soft region borders: normalised convolution of the region targets
            support = ndimage.gaussian_filter(sum(masks).astype(np.float32), sigma)
            target = ndimage.gaussian_filter(target, sigma) / np.maximum(support, 1e-3)
        out[c][box] = host * (1 - weight) + target * weight
    return out * (images.max(0) > 0)


def repaint(
    images: np.ndarray, white: np.ndarray, labels: np.ndarray, look: Appearance, spacing_mm: float
) -> np.ndarray:
    """A real tumour moved to ``look``, its texture kept: each sub-region of ``labels``
    (internal; NCR/NET counted as necrosis) scaled per modality so that its median becomes the
    look's level x ``white`` (4,), the scale blended across region borders. Returns a copy."""
    tumour = labels > 0
    out = images.copy()
    if not tumour.any():
        return out
    box = _box(tumour, int(np.ceil(3 * look.edge_mm / spacing_mm)) + 1)
    local = labels[box]
    masks = [local == ED, local == ET, local == NCR]  # oedema, enhancing, necrosis
    sigma = max(look.edge_mm / spacing_mm / 2.355, 0.5)
    support = ndimage.gaussian_filter(local.astype(bool).astype(np.float32), sigma)
    for c in range(len(out)):
        x = out[c][box]
        scale = np.zeros(x.shape, np.float32)
        for r, m in enumerate(masks):
            values = x[m]
            if values.size:
                scale += m * (look.levels[r, c] * white[c] / max(float(np.median(values)), 1e-6))
        scale = ndimage.gaussian_filter(scale, sigma) / np.maximum(support, 1e-3)
        weight = np.clip(support * 2, 0, 1)
        out[c][box] = x * (1 - weight + weight * scale)
    return out
