"""Case-level labels (grade, tumour type, MGMT, or any column a user supplies), read from where
users already have them, with nothing renamed:

- a CSV given with ``--labels``: a case-id column and the ``--target`` column. Ids are read as
  text, so the RSNA-MICCAI task 2 ids ``00002`` stay ``00002`` and match ``BraTS2021_00002``;
- BraTS 2020's ``name_mapping.csv`` (``Grade``, ``BraTS_2017_subject_ID`` ...
  ``BraTS_2020_subject_ID``), recognised by its columns; for BraTS 2021 cases its grades are
  reached through BraTS 2021's ``BraTS21-17_Mapping.csv`` (``BraTS2021`` -> ``BraTS2020``),
  found beside either file or in the dataset folder;
- BraTS 2019/2020 training folders ``HGG/`` and ``LGG/`` (target ``grade``);
- BraTS 2023+ case-id prefixes ``BraTS-GLI-`` ``-SSA-`` ``-PED-`` ``-MEN-`` ``-MET-``
  (target ``kind``).

An empty value means "not known": such cases are left out of fitting and scoring, and counted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from smart_brains.data.layouts import patient_id
from smart_brains.errors import DataError

__all__ = ["CaseLabels", "load_labels", "labels_from_dataset", "read_label_file", "patient_id"]

ID_COLUMNS = (
    "case_id", "BraTS21ID", "BraTS2021", "Brats20ID", "BraTS20ID", "ID", "id", "subject_id", "Subject",
)  # fmt: skip
NAME_MAPPING_IDS = tuple(f"BraTS_{y}_subject_ID" for y in (2020, 2019, 2018, 2017))
MAPPING_2021 = "BraTS21-17_Mapping.csv"
NAME_MAPPING = "name_mapping.csv"
GRADE_FOLDERS = ("HGG", "LGG")
# BraTS 2023+ sub-challenge prefix -> tumour type.
PREFIX_KINDS = {
    "GLI": "glioma",
    "SSA": "glioma",
    "PED": "paediatric-glioma",
    "MEN": "meningioma",
    "MET": "metastasis",
}
_PREFIX = re.compile(r"^BraTS-(GLI|SSA|PED|MEN|MET)-")


@dataclass(frozen=True)
class CaseLabels:
    """One target's class per case.

    Attributes:
        target: the column's name (``grade``, ``kind``, ``MGMT_value``...).
        values: case id -> class; ``""`` where the class is not known.
        source: where the labels came from, for messages and reports.
        elsewhere: labelled ids of the file outside the cases asked for (``other_rows``), so
            that scoring a subset can say which labelled cases it lacks.
    """

    target: str
    values: dict[str, str]
    source: str
    elsewhere: tuple[str, ...] = ()

    @property
    def known(self) -> dict[str, str]:
        return {k: v for k, v in self.values.items() if v != ""}

    @property
    def classes(self) -> list[str]:
        return sorted(set(self.known.values()))

    @property
    def left_out(self) -> int:
        return len(self.values) - len(self.known)


def a_few(ids: Sequence[str]) -> str:
    shown = ", ".join(sorted(ids)[:3])
    return shown + (", ..." if len(ids) > 3 else "")


def _read_csv(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise DataError(f"{path}: labels file not found")
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except UnicodeDecodeError:
        raise DataError(f"{path}: {_first_bad_byte(path)}; save it as UTF-8") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(f"{path}: not a readable CSV ({str(exc).splitlines()[0]})") from None
    table.columns = [str(c).strip() for c in table.columns]
    if table.empty:
        raise DataError(f"{path}: no rows; expected a case-id column and a label column")
    return table.apply(lambda col: col.str.strip())


MISSING_IDS = {"", "NA", "N/A", "nan", "NaN", "None"}  # how the BraTS files say "no id"


def _is_id(value: str) -> bool:
    return value.strip() not in MISSING_IDS


def _first_bad_byte(path: Path) -> str:
    """Where a file stops being UTF-8: byte offset, line and column of the first bad byte
    (pandas reports a position inside its read buffer, not the file's)."""
    data = path.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        return (
            f"not UTF-8 at byte {exc.start} (line {line}, column {column}: 0x{data[exc.start]:02x})"
        )
    return "not UTF-8"


def _id_key(label_id: str, case_ids: set[str]) -> str:
    """The case id a label file's id names: itself, or for all-digit ids (RSNA ``00002``) the
    case of that number: BraTS 2021's ``BraTS2021_00002``, or BraTS 2023+'s first time point
    of that patient ``BraTS-GLI-00002-000`` (the same patients, renumbered alike)."""
    if label_id in case_ids or not label_id.isdigit():
        return label_id
    n = int(label_id)
    for candidate in (f"BraTS2021_{n:05d}", f"BraTS-GLI-{n:05d}-000"):
        if candidate in case_ids:
            return candidate
    return f"BraTS2021_{n:05d}"


def _find(name: str, *folders: Path) -> Path | None:
    for folder in folders:
        for candidate in (folder / name, *folder.glob(f"*/{name}")):
            if candidate.is_file():
                return candidate
    return None


def _from_name_mapping(
    table: pd.DataFrame, path: Path, target: str, case_ids: list[str], data_root: Path | None
) -> dict[str, str]:
    """BraTS 2020's grades by every id year; BraTS 2021 ids through BraTS21-17_Mapping.csv."""
    column = "Grade" if target.lower() == "grade" else target
    if column not in table.columns:
        raise DataError(f"{path}: no column {target!r} (a BraTS name_mapping.csv has 'Grade')")
    by_id: dict[str, str] = {}
    for id_column in NAME_MAPPING_IDS:
        if id_column in table.columns:
            by_id.update({i: g for i, g in zip(table[id_column], table[column]) if _is_id(i)})
    if any(c.startswith("BraTS2021_") for c in case_ids):
        mapping = _find(MAPPING_2021, path.parent, *([data_root] if data_root else []))
        if mapping is None:
            raise DataError(
                f"{path}: BraTS 2021 cases need {MAPPING_2021} (from the BraTS 2021 download) "
                "beside this file or in the dataset folder to reach their BraTS 2020 grades"
            )
        link = _read_csv(mapping)
        if not {"BraTS2021", "BraTS2020"} <= set(link.columns):
            raise DataError(f"{mapping}: expected columns BraTS2021 and BraTS2020")
        for year in ("BraTS2020", "BraTS2019", "BraTS2018", "BraTS2017"):  # 2019's file too
            if year in link.columns:
                by_id.update(
                    {new: by_id[old] for new, old in zip(link["BraTS2021"], link[year])
                     if _is_id(new) and _is_id(old) and old in by_id and new not in by_id}
                )  # fmt: skip
    return {c: by_id.get(c, "") for c in case_ids}


def read_label_file(
    path: str | Path,
    target: str,
    case_ids: list[str],
    data_root: Path | None = None,
    other_rows: bool = False,
) -> CaseLabels:
    """Labels of ``case_ids`` from the CSV at ``path`` (see the module docstring).

    ``other_rows``: rows for cases outside ``case_ids`` are ignored (scoring a subset)
    instead of being an error.

    Raises:
        DataError: a missing or unreadable file, no id or target column, an empty or
            duplicated id, ids that match no case or cases the file does not list, one class.
    """
    path = Path(path)
    table = _read_csv(path)
    if "Grade" in table.columns and any(c in table.columns for c in NAME_MAPPING_IDS):
        values = _from_name_mapping(table, path, target, case_ids, data_root)
        labels = CaseLabels(target, values, f"{path} (BraTS name mapping)")
        known = len(labels.known)
        if known == 0:
            raise DataError(f"{path}: none of the {len(case_ids)} cases has a grade in this file")
        return _check_classes(labels, path)
    id_column = next((c for c in ID_COLUMNS if c in table.columns), None)
    if id_column is None:
        raise DataError(
            f"{path}: no case-id column; name it one of {', '.join(ID_COLUMNS)} "
            f"(columns are {', '.join(table.columns)})"
        )
    if target not in table.columns:
        others = [c for c in table.columns if c != id_column]
        raise DataError(
            f"{path}: no column {target!r} for --target; choose from {', '.join(others)}"
        )
    empty = [i + 2 for i, v in enumerate(table[id_column]) if not v]
    if empty:
        raise DataError(
            f"{path}: line {empty[0]} has an empty {id_column} ({len(empty)} such lines)"
        )
    wanted = set(case_ids)
    keys = [_id_key(i, wanted) for i in table[id_column]]
    duplicated = sorted({k for k in keys if keys.count(k) > 1})
    if duplicated:
        raise DataError(
            f"{path}: {len(duplicated)} case ids appear more than once ({a_few(duplicated)}); "
            "keep one row per case"
        )
    unknown = [k for k in keys if k not in wanted]
    if unknown and not other_rows:
        raise DataError(
            f"{path}: {len(unknown)} ids match no case of the dataset ({a_few(unknown)}); "
            "remove those rows or point at the dataset they belong to"
        )
    values = dict(zip(keys, table[target]))
    # cases the file does not list are not known, as an empty value: left out and counted (the
    # RSNA-MICCAI file labels about 585 of BraTS 2021's 1,251 cases)
    elsewhere = tuple(sorted(k for k in unknown if values[k] != ""))
    if keys and not set(keys) & set(wanted):
        raise DataError(
            f"{path}: none of its {len(keys)} case ids ({a_few(keys)}) is among the "
            f"{len(case_ids)} cases scored ({a_few(list(case_ids))}); are they the same cases, "
            "named alike?"
        )
    labels = CaseLabels(target, {c: values.get(c, "") for c in case_ids}, str(path), elsewhere)
    return _check_classes(labels, path)


def _check_classes(labels: CaseLabels, where: Path | str) -> CaseLabels:
    if len(labels.classes) < 2:
        found = labels.classes[0] if labels.classes else "none"
        raise DataError(
            f"{where}: {labels.target} has one class only ({found}) among {len(labels.known)} "
            "labelled cases; a classifier needs at least two"
        )
    return labels


def labels_from_dataset(
    root: Path, target: str, case_ids: list[str], folders: dict[str, Path] | None = None
) -> CaseLabels:
    """Labels the dataset itself carries, for ``target`` ``grade`` or ``kind``.

    Args:
        root: dataset folder.
        target: ``grade`` (HGG/LGG folders, else a ``name_mapping.csv`` in ``root``) or
            ``kind`` (BraTS 2023+ case-id prefixes).
        case_ids: the cases to label.
        folders: case id -> the folder holding its images (for HGG/LGG; default: discovered).
    """
    if target == "grade":
        if folders is None:
            from smart_brains.data.discovery import discover

            folders = {c.case_id: c.images[0].path.parent for c in discover(root)}
        graded = {}
        for case_id in case_ids:
            parts = folders.get(case_id, root).resolve().relative_to(root.resolve()).parts
            graded[case_id] = next((p for p in parts if p in GRADE_FOLDERS), "")
        if any(graded.values()):
            return _check_classes(
                CaseLabels(target, graded, f"{root} (HGG/ and LGG/ folders)"), root
            )
        mapping = _find(NAME_MAPPING, root)
        if mapping is not None:
            return read_label_file(mapping, target, case_ids, root)
    if target == "kind":
        kinds = {c: PREFIX_KINDS[m.group(1)] if (m := _PREFIX.match(c)) else "" for c in case_ids}
        if any(kinds.values()):
            return _check_classes(
                CaseLabels(target, kinds, f"{root} (BraTS 2023+ case-id prefixes)"), root
            )
    raise DataError(
        f"{root}: the dataset carries no {target!r} labels (HGG/LGG folders, name_mapping.csv or "
        f"BraTS 2023+ prefixes); give them with --labels FILE.csv"
    )


def load_labels(
    root: Path,
    target: str,
    case_ids: list[str],
    labels_file: str | Path | None = None,
    folders: dict[str, Path] | None = None,
    other_rows: bool = False,
) -> CaseLabels:
    """``--labels FILE`` if given, else ``root/labels.csv`` if present (the embedded cohort's),
    else the labels the dataset carries. ``other_rows``: a label file may list more cases
    (``case_ids`` is a chosen subset)."""
    if labels_file is None and (root / "labels.csv").is_file():
        labels_file = root / "labels.csv"
    if labels_file is not None:
        return read_label_file(labels_file, target, case_ids, root, other_rows)
    return labels_from_dataset(root, target, case_ids, folders)
