"""Scan a dataset folder and return typed case records.

Nested (one folder per case) and flat (all files in one folder) arrangements are both found,
``.nii`` and ``.nii.gz`` alike. The layout is auto-detected from file names unless forced.
"""

from __future__ import annotations

import json
import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from smart_brains.data.layouts import (
    LAYOUTS,
    MODALITIES,
    MSD_DEFAULT_CHANNELS,
    MSD_MODALITY_NAMES,
    Layout,
    strip_nifti_suffix,
)
from smart_brains.errors import DataError


@dataclass(frozen=True)
class ImageRef:
    """One modality image: a 3D file, or one channel (``channel``) of a 4D file."""

    path: Path
    channel: int | None = None


@dataclass(frozen=True)
class Case:
    """One patient.

    Attributes:
        case_id: identifier, as in the file names (e.g. ``BraTS2021_00000``).
        images: the four modalities in canonical order t1, t1ce, t2, flair.
        seg: reference segmentation, or None (validation/test data).
        layout: layout name (``layouts.LAYOUTS``).
        convention: label convention of ``seg`` and of predictions written for this case.
    """

    case_id: str
    images: tuple[ImageRef, ...]
    seg: Path | None
    layout: str
    convention: str

    def image(self, modality: str) -> ImageRef:
        return self.images[MODALITIES.index(modality)]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a dataset: which case, which file, what, and what to do."""

    case_id: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"case {self.case_id}: {self.path}: {self.message}"


@dataclass
class Discovery:
    """Result of scanning a dataset: usable cases and the problems found on the way."""

    root: Path
    layout: str
    cases: list[Case] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _nifti_files(root: Path) -> list[Path]:
    """Every NIfTI file under ``root``, hidden folders and files left out, symlinked case
    folders followed (each real folder once, so a link loop ends)."""
    found, seen = [], set()
    for folder, dirs, files in os.walk(root, followlinks=True):
        real = os.path.realpath(folder)
        if real in seen:
            dirs[:] = []
            continue
        seen.add(real)
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found += [
            Path(folder) / name
            for name in files
            if not name.startswith(".") and strip_nifti_suffix(name) is not None
        ]
    return sorted(found)


def suffix_pattern(layout: Layout) -> re.Pattern[str]:
    names = sorted({*layout.suffixes.values(), layout.seg_suffix}, key=len, reverse=True)
    sep = re.escape(layout.separator)
    return re.compile(rf"^(?P<id>.+){sep}(?P<mod>{'|'.join(map(re.escape, names))})$")


def detect_layout(root: Path) -> str:
    """Guess the layout of ``root`` from its folders and file names.

    Raises:
        DataError: the folder is missing, empty or holds no recognisable case.
    """
    if not root.is_dir():
        raise DataError(f"{root}: dataset folder does not exist; pass the folder holding the cases")
    if _is_msd(root) or msd_inside(root) is not None:
        return "msd"
    files = _nifti_files(root)
    if not files:
        raise DataError(
            f"{root}: dataset folder holds no NIfTI files (.nii/.nii.gz); "
            "point at the folder of cases, or run `smart-brains synth` to make a demo cohort"
        )
    stems = [strip_nifti_suffix(p.name) or "" for p in files]
    scores = {}
    for name in ("brats2023", "brats2021"):
        pattern = suffix_pattern(LAYOUTS[name])
        scores[name] = sum(bool(pattern.match(s)) for s in stems)
    best = max(scores, key=lambda k: scores[k])
    if scores[best] == 0:
        examples = "; ".join(LAYOUTS[k].example for k in ("brats2021", "brats2023", "msd"))
        raise DataError(
            f"{root}: no BraTS-style file names found (e.g. {files[0].name}); expected names like "
            f"{examples}; or force one with --layout"
        )
    if best == "brats2021" and all(s.startswith("FeTS") for s in stems):
        return "fets2021"
    return best


def _is_msd(root: Path) -> bool:
    return (root / "imagesTr").is_dir() or (root / "imagesTs").is_dir()


def msd_inside(root: Path) -> Path | None:
    """The one MSD task folder directly inside ``root`` (the MSD archive unpacks to
    ``Task01_BrainTumour/``), when ``root`` itself is not one."""
    if _is_msd(root):
        return None
    inside = [p for p in sorted(root.iterdir()) if p.is_dir() and _is_msd(p)]
    return inside[0] if len(inside) == 1 else None


def _discover_suffixed(
    root: Path, layout: Layout, found: Discovery, files: list[Path] | None = None
) -> None:
    pattern = suffix_pattern(layout)
    by_case: dict[str, dict[str, list[Path]]] = defaultdict(lambda: defaultdict(list))
    strays: dict[Path, list[Path]] = defaultdict(list)  # folder -> NIfTI files of no pattern
    for path in _nifti_files(root) if files is None else files:
        match = pattern.match(strip_nifti_suffix(path.name) or "")
        if match:
            by_case[match["id"]][match["mod"]].append(path)
        else:
            strays[path.parent].append(path)
    if not by_case:
        raise DataError(
            f"{root}: no {layout.name} cases found; expected files like {layout.example}"
        )
    for case_id in sorted(by_case):
        files = by_case[case_id]
        dupes = {mod: paths for mod, paths in files.items() if len(paths) > 1}
        if dupes:
            paths = next(iter(dupes.values()))
            found.problems.append(
                Problem(
                    case_id,
                    str(paths[1]),
                    f"duplicate case id: also found at {paths[0]}; keep one copy of each case",
                )
            )
            continue
        folder = next(iter(files.values()))[0].parent
        missing = [m for m in MODALITIES if layout.suffixes[m] not in files]
        for m in missing:
            expected = folder / f"{case_id}{layout.separator}{layout.suffixes[m]}.nii.gz"
            found.problems.append(
                Problem(
                    case_id,
                    str(expected),
                    f"missing modality {m}; every case needs {', '.join(MODALITIES)} "
                    f"(files ending {', '.join(layout.separator + s for s in layout.suffixes.values())})",
                )
            )
        if missing:
            continue
        images = tuple(ImageRef(files[layout.suffixes[m]][0]) for m in MODALITIES)
        seg = files.get(layout.seg_suffix, [None])[0]
        named_otherwise = [p for p in strays.get(folder, []) if "seg" in p.name.lower()]
        if seg is None and named_otherwise and folder != root:
            ext = ".nii.gz" if named_otherwise[0].name.endswith(".gz") else ".nii"
            wanted = f"{case_id}{layout.separator}{layout.seg_suffix}{ext}"
            found.problems.append(Problem(
                case_id, str(named_otherwise[0]),
                f"a segmentation named otherwise; rename it to {wanted} (BraTS 2020's case 355 "
                "ships one so)",
            ))  # fmt: skip
            continue
        found.cases.append(Case(case_id, images, seg, layout.name, layout.convention))


def msd_channels(root: Path) -> dict[str, int]:
    """Canonical modality -> channel index of MSD 4D images, read from ``dataset.json``."""
    meta_path = root / "dataset.json"
    if not meta_path.is_file():
        return dict(MSD_DEFAULT_CHANNELS)
    try:
        names = json.loads(meta_path.read_text())["modality"]
        channels = {MSD_MODALITY_NAMES[str(v).lower()]: int(k) for k, v in names.items()}
    except (ValueError, KeyError, AttributeError) as exc:
        raise DataError(
            f"{meta_path}: cannot read the 'modality' table ({exc}); "
            'expected {"modality": {"0": "FLAIR", "1": "T1w", "2": "t1gd", "3": "T2w"}}'
        ) from None
    missing = [m for m in MODALITIES if m not in channels]
    if missing:
        raise DataError(f"{meta_path}: modality table lacks {', '.join(missing)}")
    return channels


def _discover_msd(root: Path, found: Discovery) -> None:
    channels = msd_channels(root)
    seen: dict[str, Path] = {}
    for images_dir, labels_dir in (("imagesTr", "labelsTr"), ("imagesTs", "labelsTs")):
        for path in sorted((root / images_dir).glob("*.nii*")):
            case_id = strip_nifti_suffix(path.name)
            if case_id is None or path.name.startswith("."):
                continue  # e.g. macOS '._BRATS_001.nii.gz' resource forks in the MSD tarball
            if case_id in seen:
                found.problems.append(
                    Problem(case_id, str(path), f"duplicate case id: also found at {seen[case_id]}")
                )
                continue
            seen[case_id] = path
            label = root / labels_dir / path.name
            seg = label if label.is_file() else None
            images = tuple(ImageRef(path, channels[m]) for m in MODALITIES)
            found.cases.append(Case(case_id, images, seg, "msd", "msd"))
    if not seen:
        raise DataError(
            f"{root}: no images in imagesTr/ or imagesTs/; expected e.g. imagesTr/BRATS_001.nii.gz"
        )


def scan(root: str | Path, layout: str | None = None) -> Discovery:
    """Find all cases under ``root`` and every naming problem, without reading voxels.

    Args:
        root: dataset folder.
        layout: force a layout (a key of ``LAYOUTS``); None auto-detects, and then a folder of
            BraTS 2021- and 2023-named cases yields both, each case in its own convention.

    Raises:
        DataError: the folder is missing or empty, or no case of the layout is found.
    """
    root = Path(root)
    detected = layout is None
    if layout is None:
        layout = detect_layout(root)
    elif layout not in LAYOUTS:
        raise DataError(f"unknown layout {layout!r}; choose from {', '.join(LAYOUTS)}")
    elif not root.is_dir():
        raise DataError(f"{root}: dataset folder does not exist")
    if layout == "msd" and msd_inside(root) is not None:
        root = msd_inside(root)  # e.g. the folder holding Task01_BrainTumour/
    found = Discovery(root, layout)
    if layout == "msd":
        _discover_msd(root, found)
    else:
        files = _nifti_files(root)  # one walk of the folder for both namings
        _discover_suffixed(root, LAYOUTS[layout], found, files)
    if detected and layout in MIXABLE:  # BraTS 2021- and 2023-named cases side by side
        other = MIXABLE[layout]
        pattern = suffix_pattern(LAYOUTS[other])
        if any(pattern.match(strip_nifti_suffix(p.name) or "") for p in files):
            more = Discovery(root, other)
            _discover_suffixed(root, LAYOUTS[other], more, files)
            found.cases = sorted([*found.cases, *more.cases], key=lambda c: c.case_id)
            found.problems += more.problems
    return found


# auto-detected layouts whose folders may also hold the other's cases, each read in its own
# naming and label convention (a folder of 2019-2021 and 2023+ cases)
MIXABLE = {"brats2021": "brats2023", "brats2023": "brats2021"}


def discover(root: str | Path, layout: str | None = None) -> list[Case]:
    """Return the cases under ``root`` (sorted by id); raise on the first naming problem."""
    found = scan(root, layout)
    if found.problems:
        raise DataError(str(found.problems[0]))
    return found.cases


def explicit_case(
    files: dict[str, str | Path], case_id: str | None = None, convention: str | None = None
) -> Case:
    """A case from four explicit files {'t1': path, 't1ce': ..., 't2': ..., 'flair': ...}.

    The case id and the label convention come from the contrast-enhanced file's name when it
    follows a BraTS layout (``BraTS2021_00000_t1ce.nii.gz`` -> BraTS 2021 labels, enhancing 4;
    ``BraTS-GLI-00000-000-t1c.nii.gz`` -> BraTS 2023 labels, enhancing 3); ``case_id`` and
    ``convention`` override them. Otherwise the id is the file name without its extension and
    the labels are BraTS 2021's.
    """
    missing = [m for m in MODALITIES if not files.get(m)]
    if missing:
        raise DataError(
            "explicit inputs need all four files (--t1 --t1ce --t2 --flair, or BraTS 2023's "
            f"--t1n --t1c --t2w --t2f); missing {', '.join(missing)}"
        )
    paths = {m: Path(files[m]) for m in MODALITIES}
    for m, path in paths.items():
        if not path.is_file():
            raise DataError(f"{path}: --{m} file does not exist")
    stem = strip_nifti_suffix(paths["t1ce"].name) or paths["t1ce"].stem
    named_id, named_convention = stem, "brats2021"
    for layout in (LAYOUTS["brats2023"], LAYOUTS["brats2021"]):
        match = suffix_pattern(layout).match(stem)
        if match and match["mod"] == layout.suffixes["t1ce"]:
            named_id, named_convention = match["id"], layout.convention
            break
    images = tuple(ImageRef(paths[m]) for m in MODALITIES)
    return Case(case_id or named_id, images, None, "explicit", convention or named_convention)
