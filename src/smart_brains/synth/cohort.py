"""The embedded default cohort: BraTS-2021-layout NIfTI cases made from real template brains.

``synth_cohort(out, n_cases, seed)`` writes ``out/BraTS2021_00000/BraTS2021_00000_{t1,t1ce,t2,
flair,seg}.nii.gz`` (int16 images, uint8 labels {0,1,2,4}), deterministic per seed and case
index, on a BraTS-like LPS grid: affine diag(-s, -s, s), 240 x 240 x 155 voxels at s = 1 mm.

Two cohorts test generalisation, as a multi-centre study would:

- the development cohort (default): the ICBM 2009a brain, every case its own anatomy (strong
  deformation and atrophy, ``anatomy.py``), scanned at sites 0-2 in turn (``sites.py``); an
  80:20 split of it holds out anatomies that no training case has;
- the held-out test cohort (``held_out=True``, ids from ``BraTS2021_90000``): another brain
  (FSL's MNI152 average, ``avg152``, or any case folder given as ``brain``) scanned at site 3,
  which the development cohort never uses: unseen anatomy and unseen acquisition.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np
from scipy import ndimage

from smart_brains.data.labels import from_internal
from smart_brains.data.layouts import LAYOUTS, MODALITIES
from smart_brains.errors import DataError
from smart_brains.parallel import map_cases
from smart_brains.paths import atomic_path
from smart_brains.synth.anatomy import (
    lesion_sites,
    mass_effect,
    random_warp,
    sample_anatomy,
    smooth_field,
)
from smart_brains.synth.appearance import fixed_appearance, paint, random_appearance
from smart_brains.synth.brains import load_template
from smart_brains.synth.glioma import (
    MODES,
    grade_of,
    grow_glioma,
    kind_for_grade,
    sample_glioma,
    seed_candidates,
)
from smart_brains.synth.render import CONTRAST, render_modality, tissue_signal, vessel_mask
from smart_brains.synth.sites import DEVELOPMENT_SITES, HELD_OUT_SITES, SITES, acquire
from smart_brains.synth.tumour import (
    HGG_RATE,
    TUMOUR_KINDS,
    Lesion,
    LesionMaps,
    render_lesions,
    sample_lesions,
    sample_tumour_type,
)

BRATS_FIELD_OF_VIEW_MM = (240.0, 240.0, 155.0)
HELD_OUT_BRAIN = "avg152"
HELD_OUT_FIRST_INDEX = 90000


@dataclass(frozen=True)
class SynthConfig:
    """Settings of a synthetic cohort.

    Attributes:
        n_cases: number of cases.
        seed: master seed; case i uses the generator seeded with (seed, i).
        spacing_mm: isotropic voxel size; the field of view is BraTS's 240 x 240 x 155 mm.
        prefix: case id prefix (ids are ``{prefix}_{first_index + i:05d}``).
        brain: source brain (``brains.load_template``): a built-in name or a case folder.
        sites: acquisition sites (``sites.SITES`` indices) the cases go through in turn.
        first_index: number of the first case (the held-out cohort starts at 90000, so its
            ids and tumours differ from the development cohort's with the same seed).
        tumours: 'shapes' (gliomas drawn as noisy spheres, ``tumour.py``) or 'growth' (grown
            on the case's tissue, ``glioma.py``); metastases and meningiomas are drawn either way.
        appearance: 'fixed' (one contrast table, ``render.CONTRAST``) or 'random' (a look per
            tumour sub-region and modality, ``appearance.py``).
        glioma: a ``glioma.MODES`` preset: every case a grown glioma of that kind ('' for none).
    """

    n_cases: int = 10
    seed: int = 0
    spacing_mm: float = 1.0
    prefix: str = "BraTS2021"
    brain: str = "mni2009a"
    sites: tuple[int, ...] = DEVELOPMENT_SITES
    first_index: int = 0
    version: int = 4  # 4: anatomy per case, sites, held-out cohort; 2: tumour types
    tumours: str = "shapes"
    appearance: str = "fixed"
    glioma: str = ""

    @classmethod
    def held_out(cls, brain: str | None = None, **kwargs: Any) -> SynthConfig:
        """The test cohort: ``brain`` (default avg152) at the held-out site(s), ids from 90000."""
        return cls(
            brain=brain or HELD_OUT_BRAIN, sites=HELD_OUT_SITES,
            first_index=HELD_OUT_FIRST_INDEX, **kwargs,
        )  # fmt: skip

    def case_id(self, i: int) -> str:
        return f"{self.prefix}_{self.first_index + i:05d}"

    @property
    def shape_vox(self) -> tuple[int, int, int]:
        x, y, z = (int(round(f / self.spacing_mm)) for f in BRATS_FIELD_OF_VIEW_MM)
        return (x, y, z)

    @property
    def affine(self) -> np.ndarray:
        """BraTS-like LPS grid: diag(-s, -s, s), origin (0, (Y - 1) s, 0)."""
        s = self.spacing_mm
        affine = np.diag([-s, -s, s, 1.0])
        affine[1, 3] = (self.shape_vox[1] - 1) * s
        return affine


def synth_case(
    cfg: SynthConfig,
    index: int,
    lesions_at: Callable[[list[Lesion], dict], list[Lesion]] | None = None,
    maps_at: Callable[[np.ndarray, np.ndarray], LesionMaps] | None = None,
) -> dict[str, Any]:
    """Make case ``index`` (0-based in the cohort): {'images': {modality: int16 (X,Y,Z)},
    'labels': uint8 internal, 'params': JSON-able description}.

    ``lesions_at(sampled, sites)``: replaces the sampled lesions (``sites``: candidate centres
    by kind, see ``sample_lesions``); ``maps_at(fractions, brain)``: the tumour's maps instead,
    drawn on the case's tissue (no mass effect, so every call sees the same tissue). The
    anatomy, drawn first, is the same for every call with the same ``index``, so the time points
    of one patient share it (``synth/series.py``, ``synth/grown_series.py``)."""
    rng = np.random.default_rng([cfg.seed, cfg.first_index + index])
    template = load_template(cfg.brain)
    site_index = cfg.sites[index % len(cfg.sites)]
    shape = cfg.shape_vox
    affine = cfg.affine
    grid = np.stack(
        np.meshgrid(*[np.arange(n, dtype=np.float32) for n in shape], indexing="ij"), -1
    )
    points = grid @ affine[:3, :3].T.astype(np.float32) + affine[:3, 3].astype(np.float32)
    del grid
    out_centre = affine[:3, :3] @ ((np.array(shape) - 1) / 2) + affine[:3, 3]
    warp = random_warp(rng, out_centre, template)
    coarse, fine = rng.uniform(3.0, 7.0), rng.uniform(1.5, 3.5)  # mm: brain shape, gyri
    elastic = np.stack(
        [coarse * smooth_field(shape, rng, 3, 3) + fine * smooth_field(shape, rng, 5, 3)
         for _ in range(3)], -1,
    )  # fmt: skip
    atrophy = float(rng.uniform(0.0, 1.0))
    ventricles = (warp.to_output(template.ventricles_mm), rng.uniform(15, 25), rng.uniform(0, 0.4))

    # The case's anatomy without tumour: where its tumour can grow (the deformation moves
    # white matter by several mm, so candidate centres come from this anatomy, not the source).
    anatomy_points = mass_effect(points, *ventricles)  # enlarged ventricles: the patient's own
    healthy, healthy_brain = sample_anatomy(template, anatomy_points, elastic, warp, atrophy)
    sites = lesion_sites(healthy, healthy_brain, points, cfg.spacing_mm)
    del anatomy_points
    hooked = lesions_at is not None or maps_at is not None
    kind, grade, plan, lesions = _tumour(cfg, rng, healthy, healthy_brain, sites, hooked)
    del healthy, healthy_brain
    if lesions_at is not None:
        lesions, kind, grade = lesions_at(lesions, sites), "glioma", "HGG"
    if maps_at is not None:
        lesions, kind, grade = [], "glioma", "HGG"
    displaced = points
    if plan is not None:
        centre = points[plan.seeds_vox[0]]
        displaced = mass_effect(displaced, centre, plan.radius_mm, plan.push)
    for lesion in lesions:
        displaced = mass_effect(
            displaced, np.asarray(lesion.centre_mm), lesion.oedema_radius_mm, lesion.push
        )
    displaced = mass_effect(displaced, *ventricles)
    fractions, brain = sample_anatomy(template, displaced, elastic, warp, atrophy)
    del displaced, elastic
    if maps_at is not None:
        maps = maps_at(fractions, brain)
    elif plan is not None:
        maps = grow_glioma(plan, fractions, brain, cfg.spacing_mm)
    else:
        maps = render_lesions(lesions, points, cfg.spacing_mm, fractions[2], brain, rng)
    vessels = vessel_mask(fractions, brain, cfg.spacing_mm, rng)
    painted = plan is not None or maps_at is not None
    images = _render(cfg, fractions, maps, vessels, brain, rng, site_index, painted=painted)
    params = _params(cfg, index, template.name, site_index, atrophy, lesions, plan, kind, grade)
    params["volumes_mm3"] = {
        name: float(np.isin(maps.labels, values).sum() * cfg.spacing_mm**3)
        for name, values in (("WT", (1, 2, 3)), ("TC", (1, 3)), ("ET", (3,)))
    }
    return {"images": images, "labels": maps.labels, "params": params}


def _params(cfg, index, brain, site_index, atrophy, lesions, plan, kind, grade) -> dict:
    """The JSON-able description of one case (``cohort.json``), volumes added by the caller."""
    return {
        "case_id": cfg.case_id(index),
        "brain": brain,
        "site": site_index,
        "atrophy": round(atrophy, 3),
        "lesions": [asdict(lesion) for lesion in lesions],
        **({"glioma": asdict(plan)} if plan is not None else {}),
        "kind": kind,
        "grade": grade,
    }


def _tumour(cfg: SynthConfig, rng, healthy, healthy_brain, sites, hooked: bool):
    """(kind, grade, plan, lesions) of one case: a grown glioma's ``GliomaPlan`` (with lesions
    empty) or drawn ``Lesion``s (with plan None)."""
    kind, grade = sample_tumour_type(rng)
    if cfg.glioma or (cfg.tumours == "growth" and kind == "glioma" and not hooked):
        candidates = seed_candidates(healthy, healthy_brain, cfg.affine, cfg.spacing_mm)
        glioma_kind = kind_for_grade(rng, grade) if grade else None
        plan = sample_glioma(rng, candidates, cfg.spacing_mm, cfg.glioma or None, glioma_kind)
        return "glioma", grade_of(plan.kind) if cfg.glioma else grade, plan, []
    return kind, grade, None, sample_lesions(rng, sites, kind, grade)


def _render(cfg, fractions, maps, vessels, brain, rng, site_index, painted) -> dict:
    """{modality: int16 (X, Y, Z)}: the tissue and tumour rendered and acquired at the site;
    a fixed-look cohort of drawn tumours renders as version 4 did, draw for draw."""
    site = SITES[site_index]
    gain = site.tissue_gain(site_index)
    if not painted and cfg.appearance == "fixed":  # the version-4 cohort, unchanged
        return {
            m: acquire(
                render_modality(m, fractions, maps, vessels, brain, rng, gain[c]),
                brain, rng, site, c, cfg.spacing_mm,
            )
            for c, m in enumerate(MODALITIES)
        }  # fmt: skip
    signals = _painted(cfg, fractions, maps, vessels, brain, rng, gain)
    return {
        m: acquire(signals[c], brain, rng, site, c, cfg.spacing_mm)
        for c, m in enumerate(MODALITIES)
    }


def _painted(cfg, fractions, maps, vessels, brain, rng, gain) -> list[np.ndarray]:
    """The four modalities' signals (X, Y, Z) with the tumour painted by an appearance
    (``cfg.appearance``) over healthy tissue, before acquisition."""
    signals, levels = zip(*[
        tissue_signal(m, fractions, vessels, rng, gain[c]) for c, m in enumerate(MODALITIES)
    ])  # fmt: skip
    white = np.array([level[2] for level in levels], np.float32)
    if cfg.appearance == "random":
        csf = np.array([CONTRAST[m][0] / CONTRAST[m][2] for m in MODALITIES])
        look = random_appearance(rng, np.clip(csf, 0.25, 0.7))
    else:
        look = fixed_appearance(rng)
    painted = paint(np.stack(signals), white, maps, look, cfg.spacing_mm, rng)
    return [ndimage.gaussian_filter(x, 0.5) * brain for x in painted]


def write_case(cfg: SynthConfig, index: int, out: Path) -> dict[str, Any]:
    """Synthesise case ``index`` and write it atomically into ``out/<case_id>/``."""
    case = synth_case(cfg, index)
    write_case_folder(case, case["params"]["case_id"], cfg.affine, out, "brats2021")
    return case["params"]


def write_case_folder(
    case: dict[str, Any], case_id: str, affine: np.ndarray, out: Path, layout: str
) -> Path:
    """``synth_case``'s images and labels as ``out/<case_id>/`` in ``layout``'s file names and
    label convention (``data/layouts.py``), written beside it first and renamed into place."""
    spec = LAYOUTS[layout]
    tmp = out / f".tmp-{case_id}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for modality, data in case["images"].items():
        name = f"{case_id}{spec.separator}{spec.suffixes[modality]}.nii.gz"
        save_nifti(data, affine, tmp / name)
    seg = tmp / f"{case_id}{spec.separator}{spec.seg_suffix}.nii.gz"
    save_nifti(from_internal(case["labels"], spec.convention), affine, seg)
    shutil.rmtree(out / case_id, ignore_errors=True)
    tmp.rename(out / case_id)
    return out / case_id


def save_nifti(data: np.ndarray, affine: np.ndarray, path: Path) -> None:
    img = nib.Nifti1Image(data, affine)
    img.header.set_xyzt_units("mm", "sec")
    img.set_qform(affine, code=1)
    img.set_sform(affine, code=1)
    nib.save(img, str(path))


def _write_job(args: tuple[SynthConfig, int, Path]) -> dict[str, Any]:
    return write_case(*args)


def synth_cohort(
    out: str | Path,
    n_cases: int = 10,
    seed: int = 0,
    spacing_mm: float = 1.0,
    workers: int = 1,
    progress: bool = True,
    held_out: bool = False,
    brain: str | None = None,
    tumours: str = "shapes",
    appearance: str = "fixed",
    glioma: str = "",
) -> list[Path]:
    """Write a synthetic cohort into ``out``; returns the case folders.

    ``held_out``: the test cohort (``SynthConfig.held_out``); ``brain``: its source brain (a
    built-in name or a case folder; default avg152 for the test cohort, mni2009a otherwise);
    ``tumours``, ``appearance``, ``glioma``: see ``SynthConfig``.
    Idempotent: cases already written with the same settings are kept. Refuses to write into a
    non-empty folder that is not a synthetic cohort, so real data is never overwritten.
    """
    if n_cases < 1:
        raise DataError(f"--n {n_cases}: need at least one case")
    if spacing_mm <= 0:
        raise DataError(f"--spacing {spacing_mm}: must be positive (mm)")
    for name, value, allowed in (("--tumours", tumours, ("shapes", "growth")),
                                 ("--appearance", appearance, ("fixed", "random")),
                                 ("--glioma", glioma, ("", *MODES))):  # fmt: skip
        if value not in allowed:
            raise DataError(f"{name} {value}: choose from {', '.join(a for a in allowed if a)}")
    out = Path(out)
    common = {"n_cases": n_cases, "seed": seed, "spacing_mm": spacing_mm, "tumours": tumours,
              "appearance": appearance, "glioma": glioma}  # fmt: skip
    if held_out:
        cfg = SynthConfig.held_out(brain, **common)
    else:
        cfg = SynthConfig(**common, **({"brain": brain} if brain else {}))
    load_template(cfg.brain)  # a bad --brains fails here, before anything is written
    manifest_path = out / "cohort.json"
    manifest: dict[str, Any] = {"config": asdict(cfg), "cases": {}}
    if out.exists() and any(out.iterdir()):
        if not manifest_path.is_file():
            raise DataError(
                f"{out}: folder is not empty and is not a synthetic cohort; choose a new --out"
            )
        old = json.loads(manifest_path.read_text())
        same = {k: v for k, v in old["config"].items() if k != "n_cases"} == {
            k: v for k, v in json.loads(json.dumps(asdict(cfg))).items() if k != "n_cases"
        }
        if same:
            manifest["cases"] = {k: v for k, v in old["cases"].items() if (out / k).is_dir()}
    out.mkdir(parents=True, exist_ok=True)
    todo = [i for i in range(n_cases) if cfg.case_id(i) not in manifest["cases"]]
    jobs = [(cfg, i, out) for i in todo]
    for params in map_cases(_write_job, jobs, workers, "synth", progress):
        manifest["cases"][params["case_id"]] = params
    manifest["config"] = asdict(cfg)
    manifest["cases"] = dict(sorted(manifest["cases"].items()))
    manifest["class_rates"] = {
        "kind": TUMOUR_KINDS,
        "grade_among_gliomas": {"HGG": HGG_RATE, "LGG": round(1 - HGG_RATE, 6)},
        "note": "grade is empty for metastasis and meningioma; classify leaves such cases out",
    }
    with atomic_path(out / "labels.csv") as tmp:
        tmp.write_text(
            "case_id,grade,kind,brain,site\n"
            + "".join(
                f"{c},{v['grade']},{v['kind']},{v['brain']},{v['site']}\n"
                for c, v in manifest["cases"].items()
            )
        )
    with atomic_path(manifest_path) as tmp:
        tmp.write_text(json.dumps(manifest, indent=1))
    return [out / cfg.case_id(i) for i in range(n_cases)]
