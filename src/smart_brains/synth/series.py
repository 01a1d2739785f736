"""Patients scanned several times: the same anatomy, a tumour that changes by known amounts.

`synth --timepoints K` writes K scans per patient in the BraTS 2023 layout
(``BraTS-GLI-<patient>-<timepoint>``, labels 1 NETC, 2 SNFH, 3 ET) and ``response.csv``, the
true RANO and RANO 2.0 response of each scan. Each patient follows one scenario, in turn:

- ``progression``: the tumour's radii grow x1.25 per scan (product x1.56, volume x1.95): PD;
- ``response``: radii x0.6 per scan (product x0.36, volume x0.22 of the last): PR;
- ``complete``: after baseline no enhancement is left, a small non-enhancing residue: CR;
- ``stable``: the same radii (only the tumour's texture and the noise change): SD;
- ``new lesion``: the tumour stays, a second enhancing lesion (10 mm core radius) appears at
  the second scan: PD; later, RANO SD (the lesion is no longer new and is not a target) while
  RANO 2.0, on the whole enhancing volume, says what the volumes say.

The RANO 2.0 truth is the rules (``longitudinal/response.py``) applied to the generator's own
enhancing volumes, the amounts it made.

The baseline tumour is one rim-enhancing glioma of 11-15 mm core radius, so it is measurable.
The anatomy and the scanner are the patient's at every scan (drawn from the same seed);
noise and tumour texture are drawn anew.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd

from smart_brains.errors import DataError
from smart_brains.longitudinal.response import RANO2, responses
from smart_brains.parallel import map_cases
from smart_brains.paths import write_csv
from smart_brains.synth.cohort import SynthConfig, synth_case, write_case_folder
from smart_brains.synth.tumour import Lesion

SCENARIOS = ("progression", "response", "complete", "stable", "new lesion")
_GROWTH = {"progression": 1.25, "response": 0.6, "stable": 1.0}


def rano_truth(scenario: str, timepoint: int) -> str:
    """The RANO response of ``scenario`` at ``timepoint``, by design (RANO 2.0's follows from
    the volumes made, in ``series_cohort``)."""
    if timepoint == 0:
        return "baseline"
    return {"progression": "PD", "response": "PR", "complete": "CR", "stable": "SD"}.get(
        scenario, "PD" if timepoint == 1 else "SD"
    )


def _lesions_at(scenario: str, timepoint: int, seed: int):
    """The ``lesions_at`` of ``synth_case`` for one scan of one patient."""

    def choose(sampled: list[Lesion], sites: dict) -> list[Lesion]:
        rng = np.random.default_rng([seed, 7])  # the patient's tumour: the same at every scan
        centres = sites["deep_wm"]
        centre = centres[rng.integers(len(centres))]
        core = rng.uniform(11, 15)
        base = Lesion(tuple(float(v) for v in centre), core, core * rng.uniform(1.5, 2.0),
                      "necrotic", rng.uniform(0.3, 0.45), 0.3, 1.5)  # fmt: skip
        if scenario == "complete" and timepoint > 0:
            return [dataclasses.replace(base, core_radius_mm=4.0, oedema_radius_mm=base.oedema_radius_mm * 0.6,
                                        kind="non-enhancing")]  # fmt: skip
        factor = _GROWTH.get(scenario, 1.0) ** timepoint
        lesions = [dataclasses.replace(base, core_radius_mm=base.core_radius_mm * factor,
                                       oedema_radius_mm=base.oedema_radius_mm * factor)]  # fmt: skip
        if scenario == "new lesion" and timepoint > 0:
            far = centres[np.linalg.norm(centres - centre, axis=1) > 45]
            other = far[rng.integers(len(far))] if len(far) else centre + 50.0
            lesions.append(
                Lesion(tuple(float(v) for v in other), 10.0, 16.0, "solid", 1.0, 0.2, 1.5)
            )
        return lesions

    return choose


def _write_scan(job: tuple[SynthConfig, int, int, int, Path]) -> dict:
    cfg, patient, timepoint, seed, out = job
    scenario = SCENARIOS[patient % len(SCENARIOS)]
    case = synth_case(cfg, patient, _lesions_at(scenario, timepoint, seed * 1000 + patient))
    case_id = f"BraTS-GLI-{patient:05d}-{timepoint:03d}"
    write_case_folder(case, case_id, cfg.affine, out, "brats2023")
    return {"patient_id": f"BraTS-GLI-{patient:05d}", "timepoint": timepoint, "case_id": case_id,
            "scenario": scenario, "rano": rano_truth(scenario, timepoint),
            "et_cm3": case["params"]["volumes_mm3"]["ET"] / 1000}  # fmt: skip


def series_cohort(
    out: str | Path,
    n_patients: int,
    timepoints: int,
    seed: int = 0,
    spacing_mm: float = 1.0,
    workers: int = 1,
    progress: bool = True,
) -> pd.DataFrame:
    """Write ``n_patients`` x ``timepoints`` scans into ``out`` and ``out/response.csv`` (the
    truth); returns it."""
    if timepoints < 2:
        raise DataError(f"--timepoints {timepoints}: a series needs at least 2 scans")
    out = Path(out)
    if out.exists() and any(out.iterdir()) and not (out / "response.csv").is_file():
        raise DataError(
            f"{out}: folder is not empty and is not a synthetic series; choose a new --out"
        )
    out.mkdir(parents=True, exist_ok=True)
    cfg = SynthConfig(n_cases=n_patients, seed=seed, spacing_mm=spacing_mm)
    jobs = [(cfg, p, t, seed, out) for p in range(n_patients) for t in range(timepoints)]
    rows = list(map_cases(_write_scan, jobs, workers, "synth", progress))
    table = pd.DataFrame(rows).sort_values(["patient_id", "timepoint"])
    for _, scans in table.groupby("patient_id"):
        volumes = list(scans.et_cm3)
        new = [s == "new lesion" and t == 1 for s, t in zip(scans.scenario, scans.timepoint)]
        table.loc[scans.index, "rano2"] = responses(volumes, [v > 0 for v in volumes], new, RANO2)
    table = table[["patient_id", "timepoint", "case_id", "scenario", "rano", "rano2", "et_cm3"]]
    write_csv(table.round(4), out / "response.csv", index=False)
    return table
