"""Grown gliomas of every kind: where they start, how big, and how their core splits.

``sample_glioma`` draws a ``GliomaPlan`` (random); ``grow_glioma`` turns it into label maps on a
host's tissue (deterministic given the plan), with the solver of ``growth/solver.py``:

- kinds (``KINDS``): ring-enhancing around necrosis (necrosis 10-80 % of the core, the rim
  1.5-15 mm thick and uneven), solid enhancing without necrosis, a non-enhancing core with
  enhancing foci, and a quarter diffuse tumours infiltrating along white matter (a wide front,
  little or no enhancement);
- whole-tumour volume log-uniform over 3-300 cm^3, core 5-80 % of it;
- the main focus placed by lobe frequency (``LOBES``: frontal, temporal with its mesial and
  inferior parts, parietal, deep/insular, occipital), a second focus in 12 %;
- a mass-effect strength that grows with volume (``anatomy.mass_effect`` applies it).

Labels use the internal convention (1 NCR/NET, 2 ED, 3 ET, ``data/labels.py``); voxel indices
are on the host's grid.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy import ndimage

from smart_brains.data.labels import ED, ET, NCR
from smart_brains.growth.solver import D_MAX, SOLVER_MM, coarsen, grow, refine, spread
from smart_brains.synth.anatomy import smooth_field
from smart_brains.synth.tumour import LesionMaps


@dataclass(frozen=True)
class GliomaPlan:
    """Everything random about one grown glioma (``sample_glioma`` draws it; ``grow_glioma``
    is deterministic given it).

    Attributes:
        kind: 'necrotic' (enhancing rim around necrosis), 'solid' (enhancing, no necrosis),
            'patchy' (non-enhancing core with enhancing foci) or 'diffuse' (infiltrating along
            white matter, non-enhancing or barely enhancing).
        lobe: where the main focus sits (``LOBES``).
        seeds_vox: focus centres on the host grid (voxel indices); a second one in 10-15 %.
        second_delay: initial density of the second focus (small: it starts later, smaller).
        wt_cm3: whole-tumour volume aimed at.
        core_fraction: TC / WT aimed at.
        necrosis_fraction: share of the core that is necrotic (the rim thickness follows,
            clipped to ``RIM_MM``).
        enhancing_fraction: share of the non-necrotic core that enhances.
        rim_unevenness: log-amplitude of the rim thickness's variation around the tumour.
        front_mm: width of the infiltration front, sqrt(D / rho) in white matter.
        white_grey: D in white matter / D in grey matter for the tumour cells.
        lobulation: log-amplitude of the proliferation's variation in space (lobulated shapes).
        oedema_grey: D in grey matter / D in white matter for the oedema (small: spares cortex).
        push: mass effect strength (``anatomy.mass_effect``), growing with volume.
        noise_seed: seed of the shape's noise fields.
    """

    kind: str
    lobe: str
    seeds_vox: tuple[tuple[int, int, int], ...]
    second_delay: float
    wt_cm3: float
    core_fraction: float
    necrosis_fraction: float
    enhancing_fraction: float
    rim_unevenness: float
    front_mm: float
    white_grey: float
    lobulation: float
    oedema_grey: float
    push: float
    noise_seed: int

    @property
    def radius_mm(self) -> float:
        """Radius of a sphere of the planned whole-tumour volume."""
        return float((3 * self.wt_cm3 * 1000 / (4 * np.pi)) ** (1 / 3))


RIM_MM = (1.5, 15.0)
WT_CM3 = (3.0, 300.0)  # log-uniform
KINDS: dict[str, float] = {"necrotic": 0.45, "solid": 0.15, "patchy": 0.15, "diffuse": 0.25}
# Kinds by grade, for cohorts that draw the grade first (the template cohort's labels.csv).
GRADE_KINDS: dict[str, dict[str, float]] = {
    "HGG": {"necrotic": 0.65, "solid": 0.2, "diffuse": 0.15},
    "LGG": {"diffuse": 0.6, "patchy": 0.4},
}
# Where gliomas arise (Larjavaara et al., Neuro-Oncology 2007), occipital the rest.
LOBES: dict[str, float] = {
    "frontal": 0.40, "temporal": 0.29, "parietal": 0.14, "deep": 0.14, "occipital": 0.03,
}  # fmt: skip


def lobe_masks(affine: np.ndarray, brain: np.ndarray) -> dict[str, np.ndarray]:
    """Rough lobes of a brain from positions in its bounding box, (X, Y, Z) bool each.

    World axes are RAS (NIfTI); positions are normalised to the brain's world bounding box
    (0..1: right to left is irrelevant, posterior to anterior ``y``, inferior to superior ``z``)
    with ``lat`` the distance from the midline (0..1). Boundaries follow MNI coordinates
    (central sulcus y ~ -20 mm, Sylvian fissure z ~ 0 mm): frontal in front of the central
    sulcus, temporal below the Sylvian fissure and lateral (mesial temporal included), parietal
    behind the sulcus and above, occipital at the back, deep (insula, basal ganglia, thalamus)
    central. Regions may overlap; a voxel outside all is never chosen."""
    idx = np.indices(brain.shape, dtype=np.float32).reshape(3, -1).T
    world = (idx @ affine[:3, :3].T + affine[:3, 3]).reshape(*brain.shape, 3)
    inside = world[brain]
    lo, hi = inside.min(0), inside.max(0)
    norm = (world - lo) / np.maximum(hi - lo, 1e-6)
    lat, y, z = np.abs(norm[..., 0] - 0.5) * 2, norm[..., 1], norm[..., 2]
    deep = (lat < 0.6) & (y > 0.38) & (y < 0.72) & (z > 0.38) & (z < 0.6)
    masks = {
        "frontal": ((y > 0.5) & (z > 0.42)) | ((y > 0.66) & (z > 0.3)),
        "temporal": (y > 0.2) & (y < 0.66) & (z < 0.45) & (lat > 0.3),
        "parietal": (y > 0.16) & (y < 0.5) & (z > 0.58),
        "occipital": (y < 0.2) & (z > 0.3),
        "deep": deep,
    }
    masks = {name: m & brain & (~deep if name != "deep" else True) for name, m in masks.items()}
    return masks


def seed_candidates(
    fractions: np.ndarray, brain: np.ndarray, affine: np.ndarray, spacing_mm: float
) -> dict[str, np.ndarray]:
    """Voxels (N, 3) where a glioma may start, per lobe: white matter (fraction > 0.5) at least
    6 mm inside the brain (12 mm for deep ones). A lobe without such voxels is left out."""
    depth = ndimage.distance_transform_edt(brain) * spacing_mm
    white = fractions[2] > 0.5
    out = {}
    for name, mask in lobe_masks(affine, brain).items():
        points = np.argwhere(mask & white & (depth >= (12 if name == "deep" else 6)))
        if len(points):
            out[name] = points
    return out


# Ranges each kind draws from: core = TC / WT, enhancing = share of the non-necrotic core.
RANGES: dict[str, dict[str, tuple[float, float]]] = {
    "necrotic": {"core": (0.25, 0.8), "necrosis": (0.1, 0.8), "enhancing": (0.75, 1.0)},
    "solid": {"core": (0.2, 0.7), "necrosis": (0.0, 0.0), "enhancing": (0.6, 1.0)},
    "patchy": {"core": (0.2, 0.7), "necrosis": (0.0, 0.0), "enhancing": (0.05, 0.3)},
    "diffuse": {"core": (0.05, 0.6), "necrosis": (0.0, 0.0), "enhancing": (0.0, 0.12)},
}
# Test cases of the kinds the first packaged model missed on real scans (issue 25): a large
# diffuse FLAIR-bright tumour that barely enhances, a large necrotic core in a thick irregular
# rim, a small tumour with almost no core low in the temporal lobe.
MODES: dict[str, dict] = {
    "diffuse-large": {"kind": "diffuse", "wt_cm3": (150.0, 260.0), "enhancing": (0.03, 0.1)},
    "necrotic-large": {"kind": "necrotic", "wt_cm3": (90.0, 180.0), "core": (0.45, 0.7),
                       "necrosis": (0.4, 0.6)},
    "small-temporal": {"kind": "diffuse", "lobe": "temporal", "wt_cm3": (25.0, 50.0),
                       "core": (0.03, 0.12)},
}  # fmt: skip


def kind_for_grade(rng: np.random.Generator, grade: str) -> str:
    """A kind of glioma for ``grade`` ('HGG' or 'LGG'), by ``GRADE_KINDS``."""
    kinds = GRADE_KINDS[grade]
    return str(rng.choice(list(kinds), p=list(kinds.values())))


def grade_of(kind: str) -> str:
    """The grade a kind of glioma is labelled with: enhancing-and-necrotic or solid ones HGG."""
    return "HGG" if kind in ("necrotic", "solid") else "LGG"


def sample_glioma(
    rng: np.random.Generator,
    candidates: dict[str, np.ndarray],
    spacing_mm: float,
    mode: str | None = None,
    kind: str | None = None,
) -> GliomaPlan:
    """Draw a ``GliomaPlan``: kind by ``KINDS`` (or ``kind``), lobe by ``LOBES`` among the lobes
    that have candidates (``seed_candidates``), whole-tumour volume log-uniform over ``WT_CM3``,
    the core's parts from ``RANGES``; ``mode`` (``MODES``) fixes kind, lobe and ranges."""
    if not candidates:
        raise ValueError("no white matter deep enough to seed a tumour")
    preset = MODES[mode] if mode else {}
    kind = preset.get("kind") or kind or str(rng.choice(list(KINDS), p=list(KINDS.values())))
    ranges = {**RANGES[kind], **{k: v for k, v in preset.items() if k in RANGES[kind]}}
    names = [n for n in LOBES if n in candidates]
    weights = np.array([LOBES[n] for n in names])
    lobe = preset.get("lobe")
    lobe = lobe if lobe in candidates else str(rng.choice(names, p=weights / weights.sum()))
    first = candidates[lobe][rng.integers(len(candidates[lobe]))]
    seeds = [tuple(int(v) for v in first)]
    if rng.random() < 0.12 and not preset:  # a second focus, 20-50 mm away
        every = np.concatenate(list(candidates.values()))
        dist = np.linalg.norm(every - first, axis=1) * spacing_mm
        far = every[(dist > 20) & (dist < 50)]
        if len(far):
            seeds.append(tuple(int(v) for v in far[rng.integers(len(far))]))
    wt = float(np.exp(rng.uniform(*np.log(preset.get("wt_cm3", WT_CM3)))))
    enhancing = ranges["enhancing"]
    if kind == "diffuse" and "enhancing" not in preset and rng.random() < 0.6:
        enhancing = (0.0, 0.0)  # most diffuse tumours do not enhance at all
    diffuse = kind == "diffuse"
    push = rng.uniform(0.4, 1.0) * min(0.6, 0.1 + 0.45 * np.sqrt(wt / 150))
    return GliomaPlan(
        kind=kind,
        lobe=lobe,
        seeds_vox=tuple(seeds),
        second_delay=float(10 ** rng.uniform(-4, -0.5)),
        wt_cm3=round(wt, 3),
        core_fraction=float(rng.uniform(*ranges["core"])),
        necrosis_fraction=float(rng.uniform(*ranges["necrosis"])),
        enhancing_fraction=float(rng.uniform(*enhancing)),
        rim_unevenness=float(rng.uniform(0.15, 0.6)),
        front_mm=float(rng.uniform(6, 14) if diffuse else rng.uniform(1.5, 4)),
        white_grey=float(rng.uniform(8, 30) if diffuse else rng.uniform(3, 10)),
        lobulation=float(rng.uniform(0.2, 0.8)),
        oedema_grey=float(rng.uniform(0.02, 0.2)),
        push=float(push * (0.4 if diffuse else 1.0)),
        noise_seed=int(rng.integers(2**31)),
    )


def _box(plan: GliomaPlan, brain: np.ndarray, spacing_mm: float) -> tuple[slice, ...]:
    """The part of the grid the tumour can reach: its seeds +- 2.2 radii + 20 mm, within the
    brain's bounding box."""
    seeds = np.asarray(plan.seeds_vox)
    reach = (2.2 * plan.radius_mm + 20) / spacing_mm
    inside = np.argwhere(brain)
    lo = np.maximum(seeds.min(0) - reach, inside.min(0)).astype(int)
    hi = np.minimum(seeds.max(0) + reach + 1, inside.max(0) + 1).astype(int)
    return tuple(slice(a, b) for a, b in zip(lo, hi))


def _fields(
    plan: GliomaPlan, fractions: np.ndarray, spacing_mm: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Tumour density u and oedema field v on the grid of ``fractions`` (3, X, Y, Z), both
    (X, Y, Z) float32 in [0, 1]; v is u itself for diffuse tumours."""
    shape = fractions.shape[1:]
    factor = max(1, int(round(SOLVER_MM / spacing_mm)))
    step_mm = spacing_mm * factor
    csf, grey, white = (coarsen(f, factor) for f in fractions)
    voxel_cm3 = step_mm**3 / 1000
    diffusivity = D_MAX * (white + grey / plan.white_grey)
    front_vox = plan.front_mm / step_mm
    lobes = smooth_field(white.shape, rng, 5, 1)  # proliferation varies: lobulated tumours
    rho = (D_MAX / front_vox**2) * np.exp(plan.lobulation * lobes)
    grid = np.indices(white.shape, dtype=np.float32)
    u0 = np.zeros(white.shape, dtype=np.float32)
    for i, seed in enumerate(plan.seeds_vox):  # a Gaussian of 1 voxel at each focus
        centre = np.asarray(seed, dtype=np.float32)[:, None, None, None] / factor
        amplitude = 1.0 if i == 0 else plan.second_delay
        u0 = np.maximum(u0, amplitude * np.exp(-0.5 * ((grid - centre) ** 2).sum(0)))
    u0 = np.clip(u0 * (diffusivity > 0), 0, 1)
    if plan.kind == "diffuse":
        target = plan.wt_cm3 / voxel_cm3
        u, _ = grow(u0, diffusivity, rho, 0.2, int(target))
        field = refine(u, factor, shape)
        return field, field
    target = plan.core_fraction * plan.wt_cm3 / voxel_cm3
    u, _ = grow(u0, diffusivity, rho, 0.5, max(1, int(target)))
    # the oedema, on a grid twice as coarse: it reaches far, and diffusion is slow to do so
    core2, white2, grey2 = coarsen(u > 0.5, 2) > 0.5, coarsen(white, 2), coarsen(grey, 2)
    oedema_d = D_MAX * (white2 + plan.oedema_grey * grey2)
    v = spread(core2, oedema_d, 0.3, int(plan.wt_cm3 / (voxel_cm3 * 8)))
    return refine(u, factor, shape), refine(v, 2 * factor, shape)


def _share(mask: np.ndarray, field: np.ndarray, fraction: float) -> np.ndarray:
    """The ``fraction`` of ``mask``'s voxels where ``field`` is highest."""
    if fraction <= 0 or not mask.any():
        return np.zeros_like(mask)
    if fraction >= 1:
        return mask.copy()
    return mask & (field > np.quantile(field[mask], 1 - fraction))


def _split_core(
    plan: GliomaPlan, core: np.ndarray, spacing_mm: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(enhancing, necrosis) inside ``core``; the rest of the core is non-enhancing tumour."""
    necrosis = np.zeros_like(core)
    rim = core
    if plan.kind == "necrotic" and core.any():
        depth = (ndimage.distance_transform_edt(core) - 0.5) * spacing_mm  # border voxels: half
        thickness = float(np.clip(np.quantile(depth[core], 1 - plan.necrosis_fraction), *RIM_MM))
        uneven = np.exp(plan.rim_unevenness * smooth_field(core.shape, rng, 6, 1))
        necrosis = core & (depth > np.clip(thickness * uneven, *RIM_MM))
        rim = core & ~necrosis
    coarse = 14 if plan.kind == "patchy" else 6  # small enhancing foci, or large parts
    enhancing = _share(rim, smooth_field(core.shape, rng, coarse, 1), plan.enhancing_fraction)
    return enhancing, necrosis


def grow_glioma(
    plan: GliomaPlan, fractions: np.ndarray, brain: np.ndarray, spacing_mm: float
) -> LesionMaps:
    """Label maps of ``plan``'s tumour on a host whose tissue is ``fractions`` (3, X, Y, Z:
    CSF, grey, white), ``brain`` (X, Y, Z) bool, at ``spacing_mm`` (isotropic).

    Returns ``LesionMaps``: labels (internal), necrosis (the necrotic part of NCR/NET), texture
    zero (appearance adds its own), and strength: how abnormal each tumour voxel looks, 0.6..1
    (oedema and infiltration fade towards their border, but stay visible: what is labelled
    must be seen)."""
    rng = np.random.default_rng(plan.noise_seed)
    box = _box(plan, brain, spacing_mm)
    local = fractions[(slice(None), *box)]
    seeds = tuple(tuple(int(s - b.start) for s, b in zip(seed, box)) for seed in plan.seeds_vox)
    u, v = _fields(replace(plan, seeds_vox=seeds), local, spacing_mm, rng)
    margin = np.exp(0.25 * smooth_field(u.shape, rng, 8, 1))  # irregular borders
    inside = brain[box]
    if plan.kind == "diffuse":
        whole = (u > 0.2 * margin) & inside
        core = _share(whole, u, plan.core_fraction)
        strength = 0.6 + 0.4 * np.clip((u - 0.2) / 0.5, 0.0, 1.0)
    else:
        core = (u > 0.5 * margin) & inside
        whole = (((v > 0.3 * margin) & (local[0] < 0.9)) | core) & inside
        strength = 0.6 + 0.4 * np.clip((v - 0.3) / 0.5, 0.0, 1.0)
    enhancing, necrosis = _split_core(plan, core, spacing_mm, rng)
    labels = np.zeros(brain.shape, dtype=np.uint8)
    out = labels[box]
    out[whole] = ED
    out[core] = NCR
    out[enhancing] = ET
    full_necrosis = np.zeros(brain.shape, dtype=bool)
    full_necrosis[box] = necrosis
    full_strength = np.zeros(brain.shape, dtype=np.float32)
    full_strength[box] = np.where(whole, strength, 0)
    return LesionMaps(labels, full_necrosis, np.zeros(brain.shape, np.float32), full_strength)
