"""Glioma shapes arranged as real ones are: necrotic core inside an enhancing rim inside oedema.

All geometry is in output world millimetres; labels use the internal convention
(1 NCR/NET, 2 ED, 3 ET, see ``data/labels.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from smart_brains.data.labels import ED, ET, NCR
from smart_brains.synth.anatomy import smooth_field

# Lesion patterns: how a lesion's core is split into enhancing and non-enhancing parts.
PATTERNS = ("necrotic", "solid", "necrotic-core", "non-enhancing", "patchy", "homogeneous")
# Tumour types of the cohort and their rates; gliomas are graded, the others are not.
TUMOUR_KINDS: dict[str, float] = {"glioma": 0.6, "metastasis": 0.2, "meningioma": 0.2}
HGG_RATE = 0.55  # share of gliomas that are high-grade


@dataclass(frozen=True)
class Lesion:
    """One tumour.

    Attributes:
        centre_mm: world position of its centre.
        core_radius_mm: mean radius of the tumour core (TC).
        oedema_radius_mm: mean radius of the oedema (WT) around it.
        kind: the lesion's pattern (``PATTERNS``): 'necrotic' (rim-enhancing around
            necrosis), 'solid' (mostly enhancing, no necrosis), 'non-enhancing' (low-grade-like),
            'patchy' (non-enhancing with small enhancing patches), 'necrotic-core' (no
            enhancement, necrotic centre: a non-enhancing high-grade glioma) or 'homogeneous'
            (uniformly enhancing, as meningiomas are).
        rim: enhancing rim thickness as a fraction of the core radius.
        push: mass-effect strength in [0, 0.6].
        heterogeneity: amplitude of the lesion's internal texture (high-grade tumours are more
            heterogeneous).
    """

    centre_mm: tuple[float, float, float]
    core_radius_mm: float
    oedema_radius_mm: float
    kind: str
    rim: float
    push: float
    heterogeneity: float = 1.0


def sample_tumour_type(rng: np.random.Generator) -> tuple[str, str]:
    """(kind, grade): kind one of ``TUMOUR_KINDS``; grade 'HGG' or 'LGG' for gliomas, '' else."""
    kind = str(rng.choice(list(TUMOUR_KINDS), p=list(TUMOUR_KINDS.values())))
    grade = ("HGG" if rng.random() < HGG_RATE else "LGG") if kind == "glioma" else ""
    return kind, grade


def sample_lesions(
    rng: np.random.Generator, sites_mm: dict[str, np.ndarray], kind: str, grade: str
) -> list[Lesion]:
    """Lesions of one tumour, with classes that overlap as real ones do.

    Args:
        sites_mm: candidate centres in output mm: 'deep_wm' (gliomas), 'junction' (grey/white
            junction: metastases), 'surface' (under the dura: meningiomas).
        kind, grade: from ``sample_tumour_type``.

    HGG: one (85 %) or two lesions, necrotic with ring enhancement (55 %), solid without
    necrosis (25 %) or non-enhancing with a necrotic centre (20 %); heterogeneous. LGG: one
    lesion, non-enhancing (60 %) or with patchy enhancement (40 %); sizes overlap HGG's, so no
    volume separates the grades: necrosis, enhancement pattern and texture do. Metastasis: one to four small ring-enhancing or solid nodules with large oedema.
    Meningioma: one extra-axial, homogeneously enhancing mass with little or no oedema.
    """

    def at(site: str) -> tuple[float, float, float]:
        points = sites_mm[site]
        return tuple(float(v) for v in points[rng.integers(len(points))])

    def lesion(site, core, oedema_ratio, pattern, rim, push, heterogeneity) -> Lesion:
        return Lesion(at(site), core, core * oedema_ratio, pattern, rim, push, heterogeneity)

    if kind == "metastasis":
        count = int(rng.choice([1, 2, 3, 4], p=[0.4, 0.3, 0.2, 0.1]))
        lesions = []
        for _ in range(count):
            core = rng.uniform(4, 10)
            pattern = "necrotic" if core > 5.5 and rng.random() < 0.8 else "solid"
            lesions.append(lesion("junction", core, rng.uniform(2.0, 3.5), pattern,
                                  rng.uniform(0.35, 0.6), rng.uniform(0.1, 0.3), rng.uniform(0.8, 2.0)))  # fmt: skip
        return lesions
    if kind == "meningioma":
        core = rng.uniform(9, 20)
        return [lesion("surface", core, rng.uniform(1.0, 1.6), "homogeneous", 1.0,
                       rng.uniform(0.35, 0.6), rng.uniform(0.2, 0.6))]  # fmt: skip
    if grade == "LGG":
        pattern = "non-enhancing" if rng.random() < 0.6 else "patchy"
        return [lesion("deep_wm", rng.uniform(8, 21), rng.uniform(1.2, 1.9), pattern,
                       rng.uniform(0.25, 0.5), rng.uniform(0.15, 0.4), rng.uniform(0.4, 1.2))]  # fmt: skip
    count = 1 if rng.random() < 0.85 else 2
    return [
        lesion("deep_wm", rng.uniform(7, 20) / count**0.3, rng.uniform(1.4, 2.3),
               str(rng.choice(["necrotic", "solid", "necrotic-core"], p=[0.55, 0.25, 0.2])),
               rng.uniform(0.25, 0.5), rng.uniform(0.25, 0.55), rng.uniform(1.2, 2.5))
        for _ in range(count)
    ]  # fmt: skip


@dataclass(frozen=True)
class LesionMaps:
    """Per-voxel lesion maps on the output grid, all (X, Y, Z).

    labels: uint8 internal labels; necrosis: bool, the part of NCR/NET that is necrotic (dark on
    T1, fluid on T2); texture: float32 smooth heterogeneity, zero outside lesions; strength:
    float32 0..1, how far each tumour voxel's signal goes from the host tissue's towards its
    region's (grown tumours: oedema fades at its border), or None for 1 everywhere.
    """

    labels: np.ndarray
    necrosis: np.ndarray
    texture: np.ndarray
    strength: np.ndarray | None = None


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
        elif lesion.kind == "patchy":
            et = core & (smooth_field(local_shape, rng, coarse, 3) > 0.7)
            ncr = core & ~et
        elif lesion.kind == "necrotic-core":
            et = np.zeros(local_shape, dtype=bool)
            ncr = core
            necrosis[box] |= core & (core_level < 0.7)
        elif lesion.kind == "homogeneous":
            et = core
            ncr = np.zeros(local_shape, dtype=bool)
        else:
            et = np.zeros(local_shape, dtype=bool)
            ncr = core
        region[ncr] = NCR
        region[et] = ET
        texture[box] += lesion.heterogeneity * np.where(
            oedema | core, smooth_field(local_shape, rng, coarse * 2, 1), 0
        )
        if spacing_mm < lesion.core_radius_mm / 4:  # small satellite enhancing nodules
            if lesion.kind in ("necrotic", "solid") and rng.random() < 0.3:
                shell = (
                    (core_level > 1.1)
                    & (core_level < 1.35)
                    & (smooth_field(local_shape, rng, coarse * 2, 1) > 1.8)
                )
                region[shell & (region == ED)] = ET
    labels[~brain] = 0
    necrosis &= labels == NCR
    return LesionMaps(labels, necrosis, texture)
