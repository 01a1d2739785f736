"""Patients whose tumour grows by the growth model itself: truth for forecasts.

`synth --timepoints K --tumours growth` writes K dated scans per patient (BraTS 2023 layout,
``BraTS-GLI-<patient>-<timepoint>``), ``timepoints.csv`` (``case_id,patient_id,date``) and
``truth.csv`` (per scan: the day, the true volumes, and the patient's true growth parameters).
Each patient's tumour is the Fisher-Kolmogorov density of ``longitudinal/spatial.py`` on the
case's own tissue, with parameters drawn per patient (D in white matter 0.05-0.5 mm^2/day,
rho 0.01-0.05/day, log-uniform: front speeds of 0.05-0.3 mm/day, those reported for gliomas),
started from a 4 mm ball in deep white matter and grown until its whole tumour first reaches
5-30 cm^3 (the baseline, day 0), then scanned every 60-90 days. Labels are the imaging
thresholds the fit assumes (whole tumour u > 0.25, core u > 0.6; necrosis where u > 0.97 at
least 3 mm inside the core, enhancement the rest of the core). No mass effect: the anatomy is
the same at every scan. This checks the fitting and the forecasts against a known model, not
the biology of real tumours.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import ndimage

from smart_brains.data.labels import ED, ET, NCR
from smart_brains.errors import DataError
from smart_brains.longitudinal.spatial import TC_LEVEL, WT_LEVEL, simulate
from smart_brains.parallel import map_cases
from smart_brains.paths import write_csv
from smart_brains.synth.cohort import SynthConfig, synth_case, write_case_folder
from smart_brains.synth.glioma import seed_candidates
from smart_brains.synth.tumour import LesionMaps

BASELINE = date(2024, 1, 8)


def patient_parameters(seed: int, patient: int, timepoints: int) -> dict:
    """The patient's true growth (D, rho, the baseline volume) and scan days."""
    rng = np.random.default_rng([seed, patient, 27])
    gaps = rng.integers(60, 91, size=timepoints - 1)
    return {
        "d_white": float(np.exp(rng.uniform(np.log(0.05), np.log(0.5)))),
        "rho": float(np.exp(rng.uniform(np.log(0.01), np.log(0.05)))),
        "baseline_wt_cm3": float(rng.uniform(5, 30)),
        "days": [0, *np.cumsum(gaps).tolist()],
        "seed_draw": int(rng.integers(2**31)),
    }


def labels_of(u: np.ndarray, spacing_mm: float) -> LesionMaps:
    """Internal labels from a density: the thresholds the fit assumes, necrosis deep inside."""
    whole, core = u > WT_LEVEL, u > TC_LEVEL
    depth = ndimage.distance_transform_edt(core) * spacing_mm
    necrosis = core & (u > 0.97) & (depth >= 3)
    labels = np.zeros(u.shape, np.uint8)
    labels[whole] = ED
    labels[core] = ET
    labels[necrosis] = NCR
    return LesionMaps(labels, necrosis, np.zeros(u.shape, np.float32))


def _density(fractions, brain, affine, spacing_mm: float, p: dict, day: float) -> np.ndarray:
    """The patient's density ``day`` days after its baseline."""
    rng = np.random.default_rng(p["seed_draw"])
    candidates = seed_candidates(fractions, brain, affine, spacing_mm)
    deep = (
        candidates.get("deep")
        if "deep" in candidates
        else np.concatenate(list(candidates.values()))
    )
    centre = deep[rng.integers(len(deep))]
    grid = np.indices(brain.shape, dtype=np.float32)
    ball = ((grid - centre[:, None, None, None]) ** 2).sum(0) * spacing_mm**2 < 16
    u = ball.astype(np.float32) * brain
    voxel_cm3 = spacing_mm**3 / 1000
    for _ in range(200):  # grow to the baseline volume, 10 days at a time
        if (u > WT_LEVEL).sum() * voxel_cm3 >= p["baseline_wt_cm3"]:
            break
        u = simulate(u, fractions, spacing_mm, p["d_white"], p["rho"], 10.0)
    return simulate(u, fractions, spacing_mm, p["d_white"], p["rho"], day)


def _write_scan(job: tuple[SynthConfig, int, int, int, int, Path]) -> dict:
    cfg, patient, timepoint, timepoints, seed, out = job
    p = patient_parameters(seed, patient, timepoints)
    day = p["days"][timepoint]

    def maps_at(fractions, brain):
        u = _density(fractions, brain, cfg.affine, cfg.spacing_mm, p, day)
        return labels_of(u, cfg.spacing_mm)

    case = synth_case(cfg, patient, maps_at=maps_at)
    case_id = f"BraTS-GLI-{patient:05d}-{timepoint:03d}"
    write_case_folder(case, case_id, cfg.affine, out, "brats2023")
    volumes = {k.lower() + "_cm3": v / 1000 for k, v in case["params"]["volumes_mm3"].items()}
    return {"patient_id": f"BraTS-GLI-{patient:05d}", "timepoint": timepoint, "case_id": case_id,
            "date": (BASELINE + timedelta(days=int(day))).isoformat(), "day": int(day),
            **volumes, "d_white": p["d_white"], "rho": p["rho"]}  # fmt: skip


def growth_series(
    out: str | Path,
    n_patients: int,
    timepoints: int,
    seed: int = 0,
    spacing_mm: float = 2.0,
    workers: int = 1,
    progress: bool = True,
) -> pd.DataFrame:
    """Write ``n_patients`` x ``timepoints`` dated scans, ``timepoints.csv`` and ``truth.csv``
    into ``out``; returns the truth."""
    if timepoints < 2:
        raise DataError(f"--timepoints {timepoints}: a series needs at least 2 scans")
    out = Path(out)
    if out.exists() and any(out.iterdir()) and not (out / "truth.csv").is_file():
        raise DataError(
            f"{out}: folder is not empty and is not a synthetic series; choose a new --out"
        )
    out.mkdir(parents=True, exist_ok=True)
    cfg = SynthConfig(n_cases=n_patients, seed=seed, spacing_mm=spacing_mm, appearance="random")
    jobs = [
        (cfg, p, t, timepoints, seed, out) for p in range(n_patients) for t in range(timepoints)
    ]
    truth = pd.DataFrame(list(map_cases(_write_scan, jobs, workers, "synth", progress)))
    truth = truth.sort_values(["patient_id", "timepoint"])
    write_csv(truth[["case_id", "patient_id", "date"]], out / "timepoints.csv", index=False)
    write_csv(truth.round(5), out / "truth.csv", index=False)
    return truth
