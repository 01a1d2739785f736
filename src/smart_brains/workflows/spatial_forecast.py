"""A patient's spatial forecast: the growth model fitted to its dated scans on its own tissue,
run from the last scan to the forecast day, written as NIfTI (``longitudinal/spatial.py``)."""

from __future__ import annotations

from pathlib import Path

import nibabel as nib
import numpy as np

from smart_brains.data.discovery import Case
from smart_brains.data.resample import spacing_of
from smart_brains.longitudinal.series import Scan, read_labels
from smart_brains.longitudinal.spatial import MIN_FIT_DICE, fit_growth, forecast_extent
from smart_brains.paths import atomic_path
from smart_brains.synth.anatomy import tissue_fractions
from smart_brains.synth.brains import to_common_scale


def _tissue(case: Case, tumour: np.ndarray) -> np.ndarray:
    """(3, X, Y, Z) CSF/grey/white fractions from the case's T1; tumour voxels count as white
    matter (where gliomas grow; their own signal says nothing of the tissue beneath)."""
    t1 = np.asarray(nib.load(str(case.image("t1").path)).dataobj, np.float32)
    brain = t1 > 0
    fractions = tissue_fractions(to_common_scale(t1, brain)) * brain
    fractions[:, tumour & brain] = np.array([0.0, 0.0, 1.0], np.float32)[:, None]
    return fractions


def _save(data: np.ndarray, img: nib.Nifti1Image, path: Path) -> None:
    out = nib.Nifti1Image(data, img.affine, img.header)
    out.set_data_dtype(data.dtype)
    with atomic_path(path) as tmp:
        nib.save(out, str(tmp))


def spatial_forecast(
    patient: str, scans: list[Scan], rows: list[dict], cases: dict[str, Case], day: float, out: Path
) -> dict:
    """Fit, forecast and write ``out/<patient>_forecast_wt.nii.gz`` (the predicted whole
    tumour, uint8) and ``..._density.nii.gz`` (the model's density, float32) on the last scan's
    grid; returns the ``spatial.csv`` row (a note instead when it cannot be made)."""
    row = {"patient_id": patient, "scans": len(scans), "day": round(day, 1)}
    dated = [(r["days"], s) for r, s in zip(rows, scans) if r["days"] is not None]
    if len(dated) < 2:
        return {**row, "note": "a spatial forecast needs two or more dated scans"}
    last = scans[-1]
    if last.case_id not in cases:
        return {**row, "note": "no images of the last scan: give --data"}
    read = [(float(d), *read_labels(s)) for d, s in dated]
    if len({labels.shape for _, labels, _, _ in read}) > 1 or not all(
        np.allclose(a, read[-1][3], atol=1e-3) for _, _, _, a in read
    ):
        return {**row, "note": "the scans are not on one grid: co-register them first"}
    spacing = float(np.mean(spacing_of(read[-1][3])))
    tumour = np.logical_or.reduce([labels > 0 for _, labels, _, _ in read])
    fractions = _tissue(cases[last.case_id], tumour)
    fit = fit_growth(fractions, [(d, labels) for d, labels, _, _ in read], spacing)
    fitted = {"d_white_mm2_per_day": round(fit.d_white, 4), "rho_per_day": round(fit.rho, 5),
              "speed_mm_per_day": round(fit.speed_mm_per_day, 4),
              "fit_dice": round(float(np.mean(fit.dice)), 4)}  # fmt: skip
    if np.mean(fit.dice) < MIN_FIT_DICE:
        return {**row, **fitted, "note": f"the growth model does not reproduce these scans (mean "
                f"Dice {np.mean(fit.dice):.2f} < {MIN_FIT_DICE}; a shrinking, treated tumour is "
                "not growth): no spatial forecast"}  # fmt: skip
    extent, density = forecast_extent(fractions, read[-1][1], spacing, fit, day - read[-1][0])
    out.mkdir(parents=True, exist_ok=True)
    img = nib.load(str(last.path))
    _save(extent.astype(np.uint8), img, out / f"{patient}_forecast_wt.nii.gz")
    _save(density.astype(np.float32), img, out / f"{patient}_forecast_density.nii.gz")
    return {
        **row, **fitted,
        "forecast_wt_cm3": round(float(extent.sum()) * spacing**3 / 1000, 3),
        "note": f"fitted to {len(read)} scans; run from the last for {day - read[-1][0]:g} days",
    }  # fmt: skip
