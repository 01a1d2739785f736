"""The on-disk dataset layouts smart-brains reads without renaming anything.

Each layout names its four modality files and its label convention (see ``labels.py``).
Canonical modality order everywhere in the package: t1, t1ce, t2, flair.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MODALITIES: tuple[str, ...] = ("t1", "t1ce", "t2", "flair")
NIFTI_SUFFIXES: tuple[str, ...] = (".nii.gz", ".nii")


@dataclass(frozen=True)
class Layout:
    """A dataset family.

    Attributes:
        name: layout name, as given to ``--layout``.
        convention: label convention of its segmentations (a key of ``labels.CONVENTIONS``).
        separator: character between the case id and the modality suffix in file names.
        suffixes: canonical modality -> suffix in file names (empty for 4D layouts).
        seg_suffix: suffix of the segmentation file.
        example: one example file name, for error messages.
    """

    name: str
    convention: str
    separator: str = "_"
    suffixes: dict[str, str] = field(default_factory=dict)
    seg_suffix: str = "seg"
    example: str = ""


BRATS2021_SUFFIXES = {"t1": "t1", "t1ce": "t1ce", "t2": "t2", "flair": "flair"}

LAYOUTS: dict[str, Layout] = {
    "brats2021": Layout(
        "brats2021",
        "brats2021",
        "_",
        BRATS2021_SUFFIXES,
        example="BraTS2021_00000/BraTS2021_00000_t1ce.nii.gz",
    ),
    "fets2021": Layout(
        "fets2021",
        "brats2021",
        "_",
        BRATS2021_SUFFIXES,
        example="FeTS21_Training_001/FeTS21_Training_001_t1ce.nii",
    ),
    "brats2023": Layout(
        "brats2023",
        "brats2023",
        "-",
        {"t1": "t1n", "t1ce": "t1c", "t2": "t2w", "flair": "t2f"},
        example="BraTS-GLI-00000-000/BraTS-GLI-00000-000-t1c.nii.gz",
    ),
    # 4D images: imagesTr/BRATS_001.nii.gz with channels named in dataset.json, labelsTr/.
    "msd": Layout("msd", "msd", example="imagesTr/BRATS_001.nii.gz"),
}

# MSD Task01_BrainTumour dataset.json: {"0": "FLAIR", "1": "T1w", "2": "t1gd", "3": "T2w"}.
MSD_DEFAULT_CHANNELS: dict[str, int] = {"flair": 0, "t1": 1, "t1ce": 2, "t2": 3}
MSD_MODALITY_NAMES: dict[str, str] = {
    "flair": "flair",
    "t1w": "t1",
    "t1": "t1",
    "t1gd": "t1ce",
    "t1ce": "t1ce",
    "t1c": "t1ce",
    "t2w": "t2",
    "t2": "t2",
}


_BRATS23_PATIENT = re.compile(r"^(BraTS-[A-Z]+-\d+)-\d+$")


def patient_id(case_id: str) -> str:
    """The patient a case belongs to: BraTS 2023+ ``BraTS-GLI-00123-001`` (time point 001 of
    patient 00123) -> ``BraTS-GLI-00123``; any other id is its own patient."""
    match = _BRATS23_PATIENT.match(case_id)
    return match.group(1) if match else case_id


def strip_nifti_suffix(name: str) -> str | None:
    """'x_t1.nii.gz' -> 'x_t1'; None if ``name`` is not a NIfTI file name."""
    for suffix in NIFTI_SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return None


def parse_modalities(text: str | None) -> tuple[str, ...]:
    """'t1ce,flair' -> ('t1ce', 'flair') in canonical order; None or '' -> all four."""
    from smart_brains.errors import DataError

    if not text:
        return MODALITIES
    names = [t.strip().lower() for t in text.split(",") if t.strip()]
    unknown = [n for n in names if n not in MODALITIES]
    if unknown:
        raise DataError(f"unknown modality {unknown[0]!r}; choose from {', '.join(MODALITIES)}")
    return tuple(m for m in MODALITIES if m in names)
