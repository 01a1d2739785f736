"""``smart-brains submit PRED --challenge NAME --out ARCHIVE.zip``: check a folder of
segmentations as the BraTS validators do, and package it.

The validators (Synapse, MedPerf) take an archive whose members are ``<case_id>.nii.gz`` at its
root and nothing else. Checked here, per file, by the chosen challenge's rules
(``evaluation/challenges.py``):

- the name is a case id of the challenge (``BraTS2021_00000``, ``BraTS-GLI-00000-000``, ...);
- the image is 3D on the challenge's grid (240 x 240 x 155 for 2021 and 2023, 182 x 218 x 182
  for the 2024 post-treatment glioma data);
- its values are whole numbers among the year's labels ({0, 1, 2, 4} for 2021, {0, 1, 2, 3}
  for 2023, {0, 1, 2, 3, 4} for 2024 GLI);
- with ``data``: every case of the dataset has exactly one segmentation, on its image's grid.

Any problem stops the packaging (nothing is written); other files in the folder (a stray CSV, a
temporary file of a killed run) are left out of the archive and named.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import nibabel as nib
import numpy as np

from smart_brains.data.discovery import discover
from smart_brains.data.labels import recorded_convention
from smart_brains.data.loading import AFFINE_TOLERANCE
from smart_brains.errors import DataError
from smart_brains.evaluation.challenges import Challenge
from smart_brains.paths import atomic_path

SUFFIX = ".nii.gz"


@dataclass(frozen=True)
class SubmissionCheck:
    """What ``check_submission`` found: segmentations to package, problems that forbid it,
    and files left out (not segmentations)."""

    files: tuple[Path, ...]
    problems: tuple[str, ...]
    left_out: tuple[str, ...]


def check_file(path: Path, challenge: Challenge) -> list[str]:
    """Problems of one segmentation file under ``challenge``'s rules (empty: fine)."""
    case_id = path.name[: -len(SUFFIX)]
    problems = []
    if not re.fullmatch(challenge.case_id, case_id):
        problems.append(f"{path.name}: not a {challenge.name} case id ({challenge.case_id})")
    try:
        img = nib.load(str(path))
        data = np.asanyarray(img.dataobj)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is the user's to fix
        return [*problems, f"{path.name}: unreadable as NIfTI ({exc})"]
    recorded = recorded_convention(img.header)
    expected = "brats2021" if challenge.labels == "brats2021" else "brats2023"
    if recorded is not None and recorded != expected:
        problems.append(f"{path.name}: written with {recorded} labels (its header says so), "
                        f"{challenge.name} takes {expected} labels; predict with --convention "
                        f"{expected}")  # fmt: skip
    if data.shape != challenge.shape:
        shape = "x".join(map(str, data.shape))
        want = "x".join(map(str, challenge.shape))
        problems.append(f"{path.name}: shape {shape}, {challenge.name} images are {want}")
    values = np.unique(data)
    bad = [v for v in values.tolist() if v not in challenge.file_values]
    if bad:
        problems.append(
            f"{path.name}: label values {bad[:5]} outside {list(challenge.file_values)} "
            f"({challenge.title} labels)"
        )
    return problems


def check_submission(
    pred_dir: str | Path,
    challenge: Challenge,
    data: str | Path | None = None,
    layout: str | None = None,
) -> SubmissionCheck:
    """Check every ``*.nii.gz`` of ``pred_dir``; with ``data``, also that each of its cases
    is there once, on its image's grid."""
    pred_dir = Path(pred_dir)
    if not pred_dir.is_dir():
        raise DataError(f"{pred_dir}: prediction folder does not exist")
    files, left_out, problems = [], [], []
    for path in sorted(pred_dir.iterdir()):
        if path.is_file() and path.name.endswith(SUFFIX) and not path.name.startswith("."):
            files.append(path)
            problems += check_file(path, challenge)
        else:
            left_out.append(path.name)
    if not files:
        problems.append(f"{pred_dir}: no <case_id>{SUFFIX} segmentations")
    if data is not None:
        problems += _against_dataset(files, data, layout)
    return SubmissionCheck(tuple(files), tuple(problems), tuple(left_out))


def _against_dataset(files: list[Path], data: str | Path, layout: str | None) -> list[str]:
    cases = {c.case_id: c for c in discover(data, layout)}
    given = {f.name[: -len(SUFFIX)]: f for f in files}
    problems = [f"{case_id}: no segmentation" for case_id in sorted(set(cases) - set(given))]
    problems += [
        f"{given[c].name}: no such case in {data}" for c in sorted(set(given) - set(cases))
    ]
    for case_id in sorted(set(cases) & set(given)):
        image = nib.load(str(cases[case_id].images[0].path))
        seg = nib.load(str(given[case_id]))
        if seg.shape != image.shape or not np.allclose(
            seg.affine, image.affine, atol=AFFINE_TOLERANCE
        ):
            problems.append(
                f"{given[case_id].name}: not on the grid of {cases[case_id].images[0].path}"
            )
    return problems


def write_archive(files: tuple[Path, ...], out: str | Path) -> Path:
    """A zip of ``files`` at its root (deflated), written atomically; returns its path."""
    out = Path(out)
    if out.suffix != ".zip":
        raise DataError(f"{out}: the archive must be a .zip")
    with atomic_path(out) as tmp:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in files:
                archive.write(path, arcname=path.name)
    with zipfile.ZipFile(out) as archive:  # read back: exactly the segmentations, at the root
        if sorted(archive.namelist()) != sorted(p.name for p in files):
            raise DataError(f"{out}: archive members differ from the segmentations; disk full?")
    return out
