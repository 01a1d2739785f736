"""The embedded default cohort: BraTS-2021-layout NIfTI cases made from the MNI152 template.

``synth_cohort(out, n_cases, seed)`` writes ``out/BraTS2021_00000/BraTS2021_00000_{t1,t1ce,t2,
flair,seg}.nii.gz`` (int16 images, uint8 labels {0,1,2,4}), deterministic per seed and case
index, on a BraTS-like LPS grid: affine diag(-s, -s, s), 240 x 240 x 155 voxels at s = 1 mm.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np

from smart_brains.data.labels import from_internal
from smart_brains.data.layouts import MODALITIES
from smart_brains.errors import DataError
from smart_brains.parallel import map_cases
from smart_brains.paths import atomic_path
from smart_brains.synth.anatomy import (
    load_template,
    mass_effect,
    random_warp,
    sample_anatomy,
    smooth_field,
)
from smart_brains.synth.render import acquire, render_modality, vessel_mask
from smart_brains.synth.tumour import (
    HGG_RATE,
    TUMOUR_KINDS,
    render_lesions,
    sample_lesions,
    sample_tumour_type,
)

BRATS_FIELD_OF_VIEW_MM = (240.0, 240.0, 155.0)


@dataclass(frozen=True)
class SynthConfig:
    """Settings of a synthetic cohort.

    Attributes:
        n_cases: number of cases.
        seed: master seed; case i uses the generator seeded with (seed, i).
        spacing_mm: isotropic voxel size; the field of view is BraTS's 240 x 240 x 155 mm.
        prefix: case id prefix (ids are ``{prefix}_{i:05d}``).
    """

    n_cases: int = 10
    seed: int = 0
    spacing_mm: float = 1.0
    prefix: str = "BraTS2021"
    version: int = 3  # 2: tumour types (glioma HGG/LGG, metastasis, meningioma) and labels.csv

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


def synth_case(cfg: SynthConfig, index: int) -> dict[str, Any]:
    """Make case ``index``: {'images': {modality: int16 (X,Y,Z)}, 'labels': uint8 internal,
    'params': JSON-able description}."""
    rng = np.random.default_rng([cfg.seed, index])
    template = load_template()
    shape = cfg.shape_vox
    affine = cfg.affine
    grid = np.stack(
        np.meshgrid(*[np.arange(n, dtype=np.float32) for n in shape], indexing="ij"), -1
    )
    points = grid @ affine[:3, :3].T.astype(np.float32) + affine[:3, 3].astype(np.float32)
    del grid
    out_centre = affine[:3, :3] @ ((np.array(shape) - 1) / 2) + affine[:3, 3]
    warp = random_warp(rng, out_centre, template)
    elastic = np.stack([smooth_field(shape, rng, 5, 3) for _ in range(3)], -1) * rng.uniform(
        1.5, 3.5
    )

    kind, grade = sample_tumour_type(rng)
    sites = {
        "deep_wm": warp.to_output(template.deep_wm_mm),
        "junction": warp.to_output(template.junction_mm),
        "surface": warp.to_output(template.surface_mm),
    }
    lesions = sample_lesions(rng, sites, kind, grade)
    displaced = points
    for lesion in lesions:
        displaced = mass_effect(
            displaced, np.asarray(lesion.centre_mm), lesion.oedema_radius_mm, lesion.push
        )
    fractions, brain = sample_anatomy(template, displaced, elastic, warp)
    del displaced, elastic
    maps = render_lesions(lesions, points, cfg.spacing_mm, fractions[2], brain, rng)
    vessels = vessel_mask(fractions, brain, cfg.spacing_mm, rng)
    images = {
        m: acquire(render_modality(m, fractions, maps, vessels, brain, rng), brain, rng)
        for m in MODALITIES
    }
    voxel_mm3 = cfg.spacing_mm**3
    params = {
        "case_id": f"{cfg.prefix}_{index:05d}",
        "lesions": [asdict(lesion) for lesion in lesions],
        "kind": kind,
        "grade": grade,
        "volumes_mm3": {
            name: float(np.isin(maps.labels, values).sum() * voxel_mm3)
            for name, values in (("WT", (1, 2, 3)), ("TC", (1, 3)), ("ET", (3,)))
        },
    }
    return {"images": images, "labels": maps.labels, "params": params}


def write_case(cfg: SynthConfig, index: int, out: Path) -> dict[str, Any]:
    """Synthesise case ``index`` and write it atomically into ``out/<case_id>/``."""
    case = synth_case(cfg, index)
    case_id = case["params"]["case_id"]
    tmp = out / f".tmp-{case_id}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for modality, data in case["images"].items():
        _save(data, cfg.affine, tmp / f"{case_id}_{modality}.nii.gz")
    _save(from_internal(case["labels"], "brats2021"), cfg.affine, tmp / f"{case_id}_seg.nii.gz")
    shutil.rmtree(out / case_id, ignore_errors=True)
    tmp.rename(out / case_id)
    return case["params"]


def _save(data: np.ndarray, affine: np.ndarray, path: Path) -> None:
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
) -> list[Path]:
    """Write a synthetic cohort into ``out``; returns the case folders.

    Idempotent: cases already written with the same settings are kept. Refuses to write into a
    non-empty folder that is not a synthetic cohort, so real data is never overwritten.
    """
    if n_cases < 1:
        raise DataError(f"--n {n_cases}: need at least one case")
    if spacing_mm <= 0:
        raise DataError(f"--spacing {spacing_mm}: must be positive (mm)")
    out = Path(out)
    cfg = SynthConfig(n_cases=n_cases, seed=seed, spacing_mm=spacing_mm)
    manifest_path = out / "cohort.json"
    manifest: dict[str, Any] = {"config": asdict(cfg), "cases": {}}
    if out.exists() and any(out.iterdir()):
        if not manifest_path.is_file():
            raise DataError(
                f"{out}: folder is not empty and is not a synthetic cohort; choose a new --out"
            )
        old = json.loads(manifest_path.read_text())
        same = {k: v for k, v in old["config"].items() if k != "n_cases"} == {
            k: v for k, v in asdict(cfg).items() if k != "n_cases"
        }
        if same:
            manifest["cases"] = {k: v for k, v in old["cases"].items() if (out / k).is_dir()}
    out.mkdir(parents=True, exist_ok=True)
    todo = [i for i in range(n_cases) if f"{cfg.prefix}_{i:05d}" not in manifest["cases"]]
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
            "case_id,grade,kind\n"
            + "".join(f"{c},{v['grade']},{v['kind']}\n" for c, v in manifest["cases"].items())
        )
    with atomic_path(manifest_path) as tmp:
        tmp.write_text(json.dumps(manifest, indent=1))
    return [out / f"{cfg.prefix}_{i:05d}" for i in range(n_cases)]
