"""Where ``predict`` writes and how: outputs checked before compute, arrays and tables written
atomically, tables merged with what the folder already holds."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from smart_brains.data.discovery import Case
from smart_brains.errors import DataError
from smart_brains.paths import atomic_path

if TYPE_CHECKING:
    import pandas as pd


def save_npz(path: Path, **arrays: np.ndarray) -> None:
    """np.savez_compressed, atomically (temporary file in the same folder, then rename)."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        np.savez_compressed(fh, **arrays)


def extras_folder(out: str | Path) -> Path:
    """Where ``predict`` puts everything but segmentations: ``OUT-extras/`` beside ``OUT``, so
    that ``OUT`` holds ``<case_id>.nii.gz`` files only, as challenge submissions must."""
    out = Path(out)
    return out.parent / f"{out.resolve().name}-extras"


def check_outputs(out: Path, extras: Path, cases: list[Case]) -> None:
    """Refuse, before any compute, outputs that cannot be written where they belong: ``out`` or
    ``extras`` an existing file or not writable, a case id that would leave its folder."""
    for case in cases:
        name = case.case_id
        if (
            not name
            or name in (".", "..")
            or "/" in name
            or "\\" in name
            or Path(name).is_absolute()
        ):
            raise DataError(
                f"case id {name!r}: would write outside {out}; give a plain name (--id)"
            )
    for folder, flag in ((out, "--out"), (extras, "--extras")):
        if folder.exists() and not folder.is_dir():
            raise DataError(f"{flag} {folder}: a file, not a folder; choose a folder to write into")
        existing = next((p for p in [folder, *folder.parents] if p.exists()), Path("."))
        if not os.access(existing, os.W_OK | os.X_OK):
            raise DataError(f"{flag} {folder}: {existing} is not writable; choose another folder")


def merged(path: Path, new: pd.DataFrame) -> pd.DataFrame:
    """``new`` rows with the rows ``path`` already holds for other cases (an earlier run into
    the same folder keeps its cases' volumes and flags), sorted by case id."""
    import pandas as pd

    if not path.is_file():
        return new
    try:
        old = pd.read_csv(path, dtype={"case_id": str}, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
        return new  # a damaged table is replaced, as before
    if "case_id" not in old:
        return new
    kept = old[~old["case_id"].isin(set(new["case_id"]))]
    merged = pd.concat([kept, new], ignore_index=True) if len(kept) else new
    return merged.sort_values("case_id", kind="stable").reset_index(drop=True)
