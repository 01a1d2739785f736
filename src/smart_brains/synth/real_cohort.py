"""Cohorts built from real brains: their own tumours moved and transplanted, or new ones grown.

``real_cohort(out, sources, n_cases, ...)`` writes ``BraTS2021_<index>`` cases (BraTS 2021
layout, int16 images, labels {0, 1, 2, 4}) made from real case folders with labels:

- ``tumours='transplant'``: each case a source's own tumour moved with its brain, often with a
  second one transplanted from any source (``transplant.transplant_case``);
- ``tumours='growth'``: ``GROWN_SHARE`` of the cases a new glioma grown in a source brain whose
  own tumour was taken out (``grown.grown_case``), the rest transplanted as above, so real
  tumours stay part of every cohort; with ``mode`` (``glioma.MODES``) every case is grown, of
  that kind (test cases);
- ``appearance``: 'fixed' (real tumours as they are; grown ones the template's one look) or
  'random' (a look per sub-region and modality, ``appearance.py``).

Deterministic per (seed, index); cases already written are kept. The sources must never be
validation cases.
"""

from __future__ import annotations

import json
from pathlib import Path

import nibabel as nib
import numpy as np

from smart_brains.data.labels import from_internal
from smart_brains.data.layouts import MODALITIES
from smart_brains.errors import DataError
from smart_brains.parallel import map_cases
from smart_brains.paths import atomic_path
from smart_brains.synth.glioma import MODES
from smart_brains.synth.grown import grown_case
from smart_brains.synth.hosts import Source, healthy, load_source
from smart_brains.synth.transplant import TRANSPLANT_RATE, transplant_case

GROWN_SHARE = 0.7
TUMOUR_MODELS = ("transplant", "growth")
APPEARANCES = ("fixed", "random")


def real_case(
    sources: list[Source],
    hosts: list[Source],
    seed: int,
    index: int,
    tumours: str = "transplant",
    appearance: str = "fixed",
    mode: str | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """Case ``index``: images (4, X, Y, Z) float32, internal labels, affine and parameters.
    ``hosts``: the ``sources`` with their tumours taken out (``hosts.healthy``)."""
    rng = np.random.default_rng([seed, index, 17])
    if tumours == "growth" and (mode or rng.random() < GROWN_SHARE):
        return grown_case(hosts, seed, index, appearance, mode)
    return transplant_case(sources, seed, index, appearance)


def _write_case(args: tuple) -> str:
    sources, hosts, seed, index, out, case_id, options = args
    images, labels, affine, params = real_case(sources, hosts, seed, index, **options)
    folder = out / case_id
    folder.mkdir(parents=True, exist_ok=True)
    for name, image in zip(MODALITIES, images):
        data = np.round(image * 1000).astype(np.int16)
        with atomic_path(folder / f"{case_id}_{name}.nii.gz") as tmp:
            nib.save(nib.Nifti1Image(data, affine), str(tmp))
    with atomic_path(folder / f"{case_id}_seg.nii.gz") as tmp:
        nib.save(nib.Nifti1Image(from_internal(labels, "brats2021"), affine), str(tmp))
    (folder / "params.json").write_text(json.dumps(params))
    return case_id


def real_cohort(
    out: str | Path,
    sources: list[str | Path],
    n_cases: int,
    seed: int = 0,
    spacing_mm: float = 2.0,
    workers: int = 1,
    progress: bool = True,
    tumours: str = "transplant",
    appearance: str = "fixed",
    mode: str | None = None,
) -> list[Path]:
    """Write ``n_cases`` cases made from the real ``sources`` (case folders) into ``out``
    (``BraTS2021_<index>``, BraTS 2021 layout); cases already there are kept."""
    if not sources:
        raise DataError("--real-source: give at least one case folder to build cases from")
    for name, value, allowed in (("--tumours", tumours, TUMOUR_MODELS),
                                 ("--appearance", appearance, APPEARANCES)):  # fmt: skip
        if value not in allowed:
            raise DataError(f"{name} {value}: choose from {', '.join(allowed)}")
    if mode is not None and mode not in MODES:
        raise DataError(f"--glioma {mode}: choose from {', '.join(MODES)}")
    if mode is not None:
        tumours = "growth"
    loaded = [load_source(s, spacing_mm) for s in sources]
    hosts = [healthy(s) for s in loaded] if tumours == "growth" else []
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    ids = [f"BraTS2021_{i:05d}" for i in range(n_cases)]
    options = {"tumours": tumours, "appearance": appearance, "mode": mode}
    todo = [
        (loaded, hosts, seed, i, out, c, options)
        for i, c in enumerate(ids)
        if not (out / c / f"{c}_seg.nii.gz").is_file()
    ]
    list(map_cases(_write_case, todo, workers, "synth", progress))
    (out / "cohort.json").write_text(json.dumps({
        "generator": "real", "sources": [s.name for s in loaded], "seed": seed,
        "spacing_mm": spacing_mm, "transplant_rate": TRANSPLANT_RATE, "grown_share":
        GROWN_SHARE if tumours == "growth" else 0.0, **options, "cases": ids,
    }, indent=1))  # fmt: skip
    return [out / c for c in ids]
