"""Glioma shapes arranged as real ones are: necrotic core inside an enhancing rim inside oedema.

All geometry is in output world millimetres; labels use the internal convention
(1 NCR/NET, 2 ED, 3 ET, see ``data/labels.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from smart_brains.data.labels import ED, ET, NCR
from smart_brains.synth.anatomy import smooth_field

KINDS = ("necrotic", "solid", "non-enhancing")
KIND_PROBABILITIES = (0.6, 0.2, 0.2)


@dataclass(frozen=True)
class Lesion:
    """One tumour.

    Attributes:
        centre_mm: world position of its centre.
        core_radius_mm: mean radius of the tumour core (TC).
        oedema_radius_mm: mean radius of the oedema (WT) around it.
        kind: 'necrotic' (rim-enhancing with necrosis), 'solid' (patchy enhancement, no
            necrosis) or 'non-enhancing' (low-grade-like, no enhancement).
        rim: enhancing rim thickness as a fraction of the core radius.
        push: mass-effect strength in [0, 0.6].
    """

    centre_mm: tuple[float, float, float]
    core_radius_mm: float
    oedema_radius_mm: float
    kind: str
    rim: float
    push: float


def sample_lesions(
    rng: np.random.Generator, candidates_mm: np.ndarray, scale: float = 1.0
) -> list[Lesion]:
    """Draw one (80 %) or two (20 %) lesions centred at random white-matter points."""
    count = 1 if rng.random() < 0.8 else 2
    lesions = []
    for _ in range(count):
        core = rng.uniform(7, 20) * scale / count**0.3
        kind = str(rng.choice(KINDS, p=KIND_PROBABILITIES))
        lesions.append(
            Lesion(
                centre_mm=tuple(float(v) for v in candidates_mm[rng.integers(len(candidates_mm))]),
                core_radius_mm=core,
                oedema_radius_mm=core * rng.uniform(1.4, 2.3),
                kind=kind,
                rim=float(rng.uniform(0.25, 0.5)),
                push=float(rng.uniform(0.25, 0.55)),
            )
        )
    return lesions


@dataclass(frozen=True)
class LesionMaps:
    """Per-voxel lesion maps on the output grid, all (X, Y, Z).

    labels: uint8 internal labels; necrosis: bool, the part of NCR/NET that is necrotic (dark on
    T1, fluid on T2); texture: float32 smooth heterogeneity, zero outside lesions.
    """

    labels: np.ndarray
    necrosis: np.ndarray
    texture: np.ndarray


def render_lesions(
    lesions: list[Lesion],
    points_mm: np.ndarray,
    spacing_mm: float,
    white_matter: np.ndarray,
    brain: np.ndarray,
    rng: np.random.Generator,
) -> LesionMaps:
    """Rasterise ``lesions`` onto the grid of ``points_mm`` (X, Y, Z, 3).

    Shapes are spheres whose radius is modulated by smooth noise; oedema spreads preferentially
    along white matter (``white_matter`` fraction), and everything is clipped to ``brain``.
    """
    shape = brain.shape
    labels = np.zeros(shape, dtype=np.uint8)
    necrosis = np.zeros(shape, dtype=bool)
    texture = np.zeros(shape, dtype=np.float32)
    for lesion in lesions:
        centre = np.asarray(lesion.centre_mm)
        reach = lesion.oedema_radius_mm * 1.5
        # work in the lesion's bounding box only
        dist_all = np.abs(points_mm - centre).max(axis=-1)
        inside = np.argwhere(dist_all <= reach)
        if inside.size == 0:
            continue
        lo, hi = inside.min(0), inside.max(0) + 1
        box = tuple(slice(a, b) for a, b in zip(lo, hi))
        local_shape = tuple(int(b - a) for a, b in zip(lo, hi))
        coarse = max(3, int(round(2 * reach / 12)))
        d = np.linalg.norm(points_mm[box] - centre, axis=-1)
        core_level = d / lesion.core_radius_mm + 0.18 * smooth_field(local_shape, rng, coarse, 3)
        ed_level = d / lesion.oedema_radius_mm + 0.25 * smooth_field(local_shape, rng, coarse, 3)
        core = core_level < 1.0
        oedema = (ed_level < 1.0) & ((white_matter[box] > 0.35) | (ed_level < 0.75))
        region = labels[box]
        region[oedema & (region == 0)] = ED
        if lesion.kind == "necrotic":
            et = core & (core_level > 1.0 - lesion.rim)
            ncr = core & ~et
            necrosis[box] |= ncr
        elif lesion.kind == "solid":
            et = core & (smooth_field(local_shape, rng, coarse, 3) > -0.4)
            ncr = core & ~et
        else:
            et = np.zeros(local_shape, dtype=bool)
            ncr = core
        region[ncr] = NCR
        region[et] = ET
        texture[box] += np.where(oedema | core, smooth_field(local_shape, rng, coarse * 2, 1), 0)
        if spacing_mm < lesion.core_radius_mm / 4:  # small satellite enhancing nodules
            if lesion.kind != "non-enhancing" and rng.random() < 0.3:
                shell = (
                    (core_level > 1.1)
                    & (core_level < 1.35)
                    & (smooth_field(local_shape, rng, coarse * 2, 1) > 1.8)
                )
                region[shell & (region == ED)] = ET
    labels[~brain] = 0
    necrosis &= labels == NCR
    return LesionMaps(labels, necrosis, texture)
