"""The preparation cache: cropped, z-scored, memory-mappable cases.

Layout of a cache folder::

    CACHE/dataset.json          modalities, layout, source folder, case ids, spacing
    CACHE/splits.json           80:20 train/val split (+ optional K folds)
    CACHE/cases/<id>/image.npy  (C, x, y, z) float16, z-scored inside the brain, cropped
    CACHE/cases/<id>/label.npy  (x, y, z) uint8 internal labels (absent without a reference)
    CACHE/cases/<id>/meta.json  crop box, original shape, affine, NIfTI header, convention,
                                spacing (mm) of the cached grid

``prepare(spacing_mm=...)`` resamples every case to that voxel size first (``resample.py``:
images linearly, labels by nearest neighbour; affine and header follow), so a run trains at
the spacing its config records.

Each case is written into ``cases/.tmp-<id>-<pid>`` and renamed into place when complete, so a
run killed at any moment leaves no half-written case; the next run deletes the leftovers.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np

from smart_brains.data.discovery import Case, discover
from smart_brains.data.layouts import MODALITIES
from smart_brains.data.loading import LoadedCase, load_case
from smart_brains.data.preprocess import Box, normalise_case
from smart_brains.data.resample import (
    Spacing,
    resampled_affine,
    resize,
    same_spacing,
    shape_at,
    spacing_of,
)
from smart_brains.data.splits import make_splits, save_splits
from smart_brains.errors import DataError, SmartBrainsError
from smart_brains.parallel import map_cases
from smart_brains.paths import write_text

CACHE_FORMAT = 1


@dataclass(frozen=True)
class PreparedCase:
    """One prepared case, memory-mapped.

    Attributes:
        case_id: identifier.
        image: (C, x, y, z) float16 memmap, cropped to ``box``.
        label: (x, y, z) uint8 memmap of internal labels, or None.
        meta: the case's meta.json (box, original shape, affine, header, convention).
    """

    case_id: str
    image: np.ndarray
    label: np.ndarray | None
    meta: dict[str, Any]

    @property
    def box(self) -> Box:
        (a, b), (c, d), (e, f) = self.meta["box"]
        return ((a, b), (c, d), (e, f))

    @property
    def original_shape(self) -> tuple[int, int, int]:
        x, y, z = self.meta["original_shape"]
        return (x, y, z)

    @property
    def affine(self) -> np.ndarray:
        return np.asarray(self.meta["affine"], dtype=np.float64)

    @property
    def header(self) -> nib.Nifti1Header:
        return header_from_text(self.meta["header"])


def header_to_text(header: nib.Nifti1Header) -> str:
    return base64.b64encode(header.binaryblock).decode("ascii")


def header_from_text(text: str) -> nib.Nifti1Header:
    return nib.Nifti1Header(binaryblock=base64.b64decode(text))


def settings_key(case: Case, modalities: tuple[str, ...], spacing_mm: Spacing | None = None) -> str:
    """Fingerprint of what a prepared case depends on: format, modalities, spacing and source
    files."""
    parts: list[str] = [str(CACHE_FORMAT), ",".join(modalities), case.convention]
    if spacing_mm is not None:
        parts.append("spacing=" + ",".join(f"{v:g}" for v in spacing_mm))
    for path in [*(ref.path for ref in case.images), case.seg]:
        if path is not None:
            stat = path.stat()
            parts.append(f"{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def _is_current(folder: Path, key: str) -> bool:
    """The case in ``folder`` was prepared with these settings and its arrays are whole (a
    truncated or missing ``.npy`` is prepared again)."""
    try:
        meta = json.loads((folder / "meta.json").read_text())
        if meta["settings_key"] != key:
            return False
        _map_arrays(folder, meta)
        return True
    except (OSError, ValueError, KeyError):
        return False


def _map_arrays(folder: Path, meta: dict[str, Any]) -> tuple[np.ndarray, np.ndarray | None]:
    """Memory-map the case's image and label; ValueError or OSError when a file is damaged
    (numpy checks the file's size against its header)."""
    image = np.load(folder / "image.npy", mmap_mode="r")
    label = np.load(folder / "label.npy", mmap_mode="r") if meta["has_label"] else None
    return image, label


def _resampled(loaded: LoadedCase, spacing_mm: Spacing | None) -> LoadedCase:
    """``loaded`` on a grid of ``spacing_mm`` (as it is when None or already there)."""
    old = spacing_of(loaded.affine)
    if spacing_mm is None or same_spacing(old, spacing_mm):
        return loaded
    shape = shape_at(loaded.image.shape[1:], old, spacing_mm)
    affine = resampled_affine(loaded.affine, loaded.image.shape[1:], shape)
    header = loaded.header.copy()
    header.set_data_shape(shape)
    header.set_zooms(spacing_of(affine))
    header.set_qform(affine)
    header.set_sform(affine)
    seg = None if loaded.seg is None else resize(loaded.seg, shape, labels=True)
    image = resize(loaded.image, shape)
    return dataclasses.replace(loaded, image=image, seg=seg, affine=affine, header=header)


def prepare_case(
    case: Case, cases_dir: Path, modalities: tuple[str, ...], spacing_mm: Spacing | None = None
) -> str:
    """Prepare one case into ``cases_dir/<id>`` atomically (resampled to ``spacing_mm`` when
    given); returns 'prepared' or 'skipped'."""
    final = cases_dir / case.case_id
    key = settings_key(case, modalities, spacing_mm)
    if _is_current(final, key):
        return "skipped"
    loaded = _resampled(load_case(case, modalities), spacing_mm)
    try:
        image, box = normalise_case(loaded.image)
    except ValueError as exc:
        raise DataError(f"case {case.case_id}: {case.images[0].path}: {exc}") from None
    tmp = cases_dir / f".tmp-{case.case_id}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    np.save(tmp / "image.npy", image.astype(np.float16))
    if loaded.seg is not None:
        (x0, x1), (y0, y1), (z0, z1) = box
        np.save(tmp / "label.npy", np.ascontiguousarray(loaded.seg[x0:x1, y0:y1, z0:z1]))
    meta = {
        "case_id": case.case_id,
        "settings_key": key,
        "modalities": list(modalities),
        "box": [list(b) for b in box],
        "original_shape": list(loaded.image.shape[1:]),
        "affine": loaded.affine.tolist(),
        "spacing_mm": list(spacing_of(loaded.affine)),
        "header": header_to_text(loaded.header),
        "layout": case.layout,
        "convention": case.convention,
        "has_label": loaded.seg is not None,
        "sources": [str(ref.path) for ref in case.images] + ([str(case.seg)] if case.seg else []),
    }
    (tmp / "meta.json").write_text(json.dumps(meta, indent=1))
    if final.exists():  # stale: settings or sources changed
        old = cases_dir / f".old-{case.case_id}-{os.getpid()}"
        final.rename(old)
        tmp.rename(final)
        shutil.rmtree(old)
    else:
        tmp.rename(final)
    return "prepared"


def _prepare_one(
    args: tuple[Case, Path, tuple[str, ...], Spacing | None],
) -> tuple[str, str]:
    case = args[0]
    try:
        return case.case_id, prepare_case(*args)
    except SmartBrainsError as exc:
        return case.case_id, f"error: {exc}"


@dataclass(frozen=True)
class PrepareReport:
    prepared: int
    skipped: int
    cache: Path


def prepare(
    data: str | Path,
    out: str | Path,
    layout: str | None = None,
    modalities: tuple[str, ...] = MODALITIES,
    workers: int = 1,
    seed: int = 0,
    folds: int = 0,
    progress: bool = True,
    spacing_mm: Spacing | None = None,
) -> PrepareReport:
    """Prepare every case of the dataset at ``data`` into the cache folder ``out``, resampled
    to ``spacing_mm`` (mm along X, Y, Z) when given.

    Idempotent (cases prepared with the same settings and unchanged sources are skipped),
    atomic per case, parallel over cases with ``workers`` processes. Writes ``dataset.json``
    and the deterministic ``splits.json`` (80:20, ``seed``; ``folds`` K folds if >= 2).

    Raises:
        DataError: the dataset cannot be read, or any case is unusable (the others are kept).
    """
    data, out = Path(data), Path(out)
    if out.resolve() == data.resolve() or data.resolve() in out.resolve().parents:
        raise DataError(f"{out}: the cache must not be inside the dataset folder {data}")
    cases = discover(data, layout)
    cases_dir = out / "cases"
    cases_dir.mkdir(parents=True, exist_ok=True)
    for leftover in [*cases_dir.glob(".tmp-*"), *cases_dir.glob(".old-*")]:
        shutil.rmtree(leftover, ignore_errors=True)  # from a run that was killed

    jobs = [(case, cases_dir, modalities, spacing_mm) for case in cases]
    results = dict(map_cases(_prepare_one, jobs, workers, "prepare", progress))

    errors = [s for s in results.values() if s.startswith("error: ")]
    if errors:
        raise DataError(
            f"{len(errors)} of {len(cases)} cases could not be prepared; first: "
            f"{errors[0][len('error: ') :]} (run `smart-brains check {data}` to list all)"
        )
    ids = sorted(results)
    index = {
        "format": CACHE_FORMAT,
        "source": str(data.resolve()),
        "layout": cases[0].layout,
        "convention": cases[0].convention,
        "modalities": list(modalities),
        "spacing_mm": list(spacing_mm) if spacing_mm else cache_spacing(out, ids),
        "cases": ids,
        "labelled": sorted(c.case_id for c in cases if c.seg is not None),
    }
    write_text(out / "dataset.json", json.dumps(index, indent=2))
    save_splits(make_splits(index["labelled"] or ids, seed=seed, folds=folds), out / "splits.json")
    n_skipped = sum(s == "skipped" for s in results.values())
    return PrepareReport(len(ids) - n_skipped, n_skipped, out)


def cache_spacing(cache: Path, case_ids: list[str]) -> list[float] | None:
    """The median voxel spacing (mm) of prepared cases: the spacing a run on them trains at."""
    spacings = []
    for case_id in case_ids:
        meta = json.loads((cache / "cases" / case_id / "meta.json").read_text())
        spacings.append(meta.get("spacing_mm") or spacing_of(np.asarray(meta["affine"])))
    return [float(v) for v in np.median(spacings, axis=0)] if spacings else None


def read_index(cache: str | Path) -> dict[str, Any]:
    """The cache's ``dataset.json``; DataError if ``cache`` is not a prepared cache."""
    path = Path(cache) / "dataset.json"
    if not path.is_file():
        raise DataError(
            f"{cache}: not a prepared cache (no dataset.json); run `smart-brains prepare`"
        )
    return json.loads(path.read_text())


def open_case(cache: str | Path, case_id: str) -> PreparedCase:
    """Memory-map one prepared case."""
    folder = Path(cache) / "cases" / case_id
    if not (folder / "meta.json").is_file():
        raise DataError(f"{folder}: case not prepared; run `smart-brains prepare` again")
    try:
        meta = json.loads((folder / "meta.json").read_text())
        image, label = _map_arrays(folder, meta)
    except (OSError, ValueError) as exc:
        source = _source_of(Path(cache))
        raise DataError(
            f"case {case_id}: {folder} is damaged ({str(exc).splitlines()[0]}); run "
            f"`smart-brains prepare {source} --out {cache}` to rebuild it"
        ) from None
    return PreparedCase(case_id, image, label, meta)


def _source_of(cache: Path) -> str:
    """The dataset a cache was prepared from, for messages."""
    try:
        return str(read_index(cache)["source"])
    except (DataError, OSError, ValueError, KeyError):
        return "DATA"


def channel_indices(cache_modalities: list[str], wanted: tuple[str, ...], cache: str) -> list[int]:
    """Indices of the ``wanted`` modalities among the cache's; a DataError naming the missing."""
    missing = [m for m in wanted if m not in cache_modalities]
    if missing:
        raise DataError(
            f"{cache}: cache holds {','.join(cache_modalities)}, not {','.join(missing)}; "
            "prepare again with those --modalities"
        )
    return [cache_modalities.index(m) for m in wanted]
