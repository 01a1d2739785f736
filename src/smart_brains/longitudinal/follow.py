"""One patient followed over time: the rows of ``measurements.csv``, ``lesions.csv`` and
``response.csv`` (see ``commands/longitudinal.py`` for the columns)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from smart_brains.data.labels import REGION_LABELS
from smart_brains.data.resample import spacing_of
from smart_brains.longitudinal.lesions import Lesion, axial_axis, measure_lesions
from smart_brains.longitudinal.response import RANO, RANO2, responses
from smart_brains.longitudinal.series import Scan, read_labels
from smart_brains.longitudinal.tracking import new_measurable, targets, track

NO_TUMOUR = "no tumour"  # no response to judge: no tumour at this scan or any before it


@dataclass(frozen=True)
class Drawn:
    """What the report draws of one scan: the axial slice of its largest lesion (the middle
    one without lesions) and the lesions measured on it.

    Attributes:
        shape: the scan's grid (X, Y, Z); axis, index: the slice; labels: its internal labels
        (2D); lesions: the lesions measured on that slice.
    """

    shape: tuple[int, ...]
    axis: int
    index: int
    labels: np.ndarray
    lesions: list[Lesion]


def _drawn(labels: np.ndarray, affine: np.ndarray, lesions: list[Lesion]) -> Drawn:
    if lesions:
        axis, index = lesions[0].axial_axis, lesions[0].slice_index
    else:
        axis = axial_axis(affine)
        index = labels.shape[axis] // 2
    on_slice = [les for les in lesions if les.slice_index == index]
    return Drawn(labels.shape, axis, index, np.take(labels, index, axis=axis), on_slice)


@dataclass(frozen=True)
class Followed:
    """A patient's tables (lists of row dicts) and what the report draws.

    Attributes:
        measurements, lesions, response: rows of the three CSVs.
        drawn: per time point, what the report draws (``Drawn``).
    """

    measurements: list[dict]
    lesions: list[dict]
    response: list[dict]
    drawn: list[Drawn]


def _volumes_cm3(labels: np.ndarray, cavity: np.ndarray, affine: np.ndarray) -> dict[str, float]:
    voxel_cm3 = float(np.prod(spacing_of(affine))) / 1000.0
    out = {
        f"{region.lower()}_cm3": float(np.isin(labels, values).sum() * voxel_cm3)
        for region, values in (("ET", REGION_LABELS["ET"]), ("TC", REGION_LABELS["TC"]),
                               ("WT", REGION_LABELS["WT"]))
    }  # fmt: skip
    out["rc_cm3"] = float(cavity.sum() * voxel_cm3)
    return out


def _round(points) -> str:
    return ";".join(" ".join(f"{v:.2f}" for v in p) for p in points)


LESION_COLUMNS = [
    "patient_id",
    "timepoint",
    "case_id",
    "lesion_id",
    "longest_diameter_mm",
    "perpendicular_diameter_mm",
    "product_mm2",
    "measurable",
    "target",
    "volume_cm3",
    "slices",
    "axial_axis",
    "slice",
    "longest_vox",
    "perpendicular_vox",
    "longest_world_mm",
    "perpendicular_world_mm",
]  # lesions.csv's columns, written also when no scan has a lesion


def _lesion_row(scan: Scan, name: str, lesion: Lesion, target: bool) -> dict:
    return {
        "patient_id": scan.patient_id, "timepoint": scan.timepoint, "case_id": scan.case_id,
        "lesion_id": name, "longest_diameter_mm": round(lesion.longest_mm, 2),
        "perpendicular_diameter_mm": round(lesion.perpendicular_mm, 2),
        "product_mm2": round(lesion.product_mm2, 1), "measurable": lesion.measurable,
        "target": target, "volume_cm3": round(lesion.volume_mm3 / 1000, 4),
        "slices": lesion.slices, "axial_axis": lesion.axial_axis, "slice": lesion.slice_index,
        "longest_vox": _round(lesion.longest_vox),
        "perpendicular_vox": _round(lesion.perpendicular_vox),
        "longest_world_mm": _round(lesion.longest_world),
        "perpendicular_world_mm": _round(lesion.perpendicular_world),
    }  # fmt: skip


def _growth(rows: list[dict], t: int) -> dict:
    """ET growth since the previous time point: cm^3 per day and the doubling time in days
    (when dates are known; the doubling time only while growing)."""
    now, before = rows[t], rows[t - 1] if t else None
    if before is None or now["days"] is None or before["days"] is None:
        return {"et_growth_cm3_per_day": None, "et_doubling_days": None}
    days = now["days"] - before["days"]
    if days <= 0:
        return {"et_growth_cm3_per_day": None, "et_doubling_days": None}
    change = now["et_cm3"] - before["et_cm3"]
    grows = now["et_cm3"] > before["et_cm3"] > 0
    doubling = days * np.log(2) / np.log(now["et_cm3"] / before["et_cm3"]) if grows else None
    return {
        "et_growth_cm3_per_day": round(change / days, 5),
        "et_doubling_days": round(float(doubling), 1) if doubling is not None else None,
    }


def follow_patient(scans: Sequence[Scan], max_targets: int) -> Followed:
    """Measure every scan of one patient (in time order), track its lesions, sum its targets
    and decide the RANO and RANO 2.0 response at each time point."""
    measured, volumes, drawn = [], [], []
    for scan in scans:  # each segmentation is read once; the report keeps one slice of it
        labels, cavity, affine = read_labels(scan)
        measured.append(measure_lesions(np.isin(labels, REGION_LABELS["ET"]), affine))
        volumes.append(_volumes_cm3(labels, cavity, affine))
        drawn.append(_drawn(labels, affine, measured[-1]))
    ids = track(measured)
    chosen = targets(measured[0], ids[0], max_targets)
    fresh = new_measurable(measured, ids)
    first_day = scans[0].day
    rows, lesion_rows = [], []
    for scan, lesions, names, vol in zip(scans, measured, ids, volumes):
        spd = sum(les.product_mm2 for les, n in zip(lesions, names) if n in chosen)
        rows.append({
            "patient_id": scan.patient_id, "timepoint": scan.timepoint, "case_id": scan.case_id,
            "date": scan.day.isoformat() if scan.day else "",
            "days": (scan.day - first_day).days if scan.day and first_day else None,
            **{k: round(v, 4) for k, v in vol.items()},
            "lesions": len(lesions),
            "measurable_lesions": sum(les.measurable for les in lesions),
            "target_lesions": sum(n in chosen for n in names),
            "sum_of_products_mm2": round(spd, 1),
        })  # fmt: skip
        lesion_rows += [_lesion_row(scan, n, les, n in chosen) for les, n in zip(lesions, names)]
    left = [bool(lesions) for lesions in measured]
    rano = responses([r["sum_of_products_mm2"] for r in rows], left, fresh, RANO)
    rano2 = responses([r["et_cm3"] for r in rows], left, fresh, RANO2)
    seen = np.cumsum([r["wt_cm3"] > 0 for r in rows]) > 0  # any tumour up to that scan
    rano = [a if s else NO_TUMOUR for a, s in zip(rano, seen)]
    rano2 = [b if s else NO_TUMOUR for b, s in zip(rano2, seen)]
    response = [
        {"patient_id": r["patient_id"], "timepoint": r["timepoint"], "case_id": r["case_id"],
         "rano": a, "rano2": b, "new_measurable_lesion": f, **_growth(rows, t)}
        for t, (r, a, b, f) in enumerate(zip(rows, rano, rano2, fresh))
    ]  # fmt: skip
    return Followed(rows, lesion_rows, response, drawn)
