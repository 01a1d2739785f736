"""Read a case's NIfTI files into arrays, checking everything that can be wrong with them.

``check_case`` collects every problem of one case; ``load_case`` raises the first one.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nibabel as nib
import numpy as np

from smart_brains.data.discovery import Case, ImageRef, Problem
from smart_brains.data.labels import to_internal
from smart_brains.data.layouts import MODALITIES
from smart_brains.data.modality_check import probable_swaps
from smart_brains.errors import DataError

AFFINE_TOLERANCE = 1e-3
# More non-zero volume than any skull-stripped brain: a head, probably. Real stripped brains here
# hold 1.2-1.7 L (adult intracranial volume reaches about 2 L); the generator's rescaled brains
# reach 2.9 L (400 cases); a head with skull and scalp holds 3.5 L or more, with noise in the air
# around it often the whole field of view.
HEAD_CM3 = 3200.0


@dataclass
class LoadedCase:
    """A case in memory.

    Attributes:
        case: the case record.
        modalities: names of the image channels, canonical order.
        image: (C, X, Y, Z) float32, voxel axes as stored in the NIfTI files.
        seg: (X, Y, Z) uint8 internal labels (see ``labels.py``), or None.
        affine: (4, 4) voxel -> world (mm) of the images.
        header: NIfTI header of the first modality, the template for written predictions.
        warnings: what is only probable, not certain (``modality_check``: a pair of
            modalities that looks swapped); the case is still usable.
    """

    case: Case
    modalities: tuple[str, ...]
    image: np.ndarray
    seg: np.ndarray | None
    affine: np.ndarray
    header: nib.Nifti1Header
    warnings: tuple[str, ...] = ()


class VolumeReader:
    """Loads files once per case and records problems instead of raising."""

    def __init__(self, case: Case) -> None:
        self.case = case
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []
        self._cache: dict[Path, nib.Nifti1Image | None] = {}

    def fail(self, path: Path | str, message: str) -> None:
        self.problems.append(Problem(self.case.case_id, str(path), message))

    def open(self, path: Path) -> nib.Nifti1Image | None:
        if path not in self._cache:
            self._store(path, *_load(path))
        return self._cache[path]

    def prefetch(self, paths: list[Path]) -> None:
        """Read ``paths`` concurrently (gzip inflation releases the GIL: one case's four
        modalities load in about the time of one or two on a multi-core machine)."""
        todo = [p for p in dict.fromkeys(paths) if p not in self._cache]
        if len(todo) < 2:
            return
        with ThreadPoolExecutor(min(len(todo), 4)) as pool:
            for path, loaded in zip(todo, pool.map(_load, todo)):
                self._store(path, *loaded)

    def _store(self, path: Path, img: nib.Nifti1Image | None, problem: str | None) -> None:
        if problem is not None:
            self.fail(path, problem)
        self._cache[path] = img

    def volume(self, ref: ImageRef, what: str) -> tuple[np.ndarray, nib.Nifti1Image] | None:
        img = self.open(ref.path)
        if img is None:
            return None
        data = np.asanyarray(img.dataobj)
        shape = data.shape
        while data.ndim > 3 and data.shape[-1] == 1 and ref.channel is None:
            data = data[..., 0]
        if ref.channel is None and data.ndim != 3:
            self.fail(ref.path, f"{what} is {data.ndim}D {shape}, expected a 3D volume")
            return None
        if ref.channel is not None:
            if data.ndim != 4:
                self.fail(
                    ref.path,
                    f"{what} is {data.ndim}D {shape}; the msd layout expects 4D images "
                    "with the modalities along the 4th axis",
                )
                return None
            if ref.channel >= data.shape[3]:
                self.fail(
                    ref.path, f"has {data.shape[3]} channels, {what} expected at {ref.channel}"
                )
                return None
            data = data[..., ref.channel]
        if np.issubdtype(data.dtype, np.floating) and not np.isfinite(data).all():
            n = int((~np.isfinite(data)).sum())
            self.fail(ref.path, f"{what} has {n} NaN/Inf voxels; fix or re-export the file")
            return None
        return data, img


def _load(path: Path) -> tuple[nib.Nifti1Image | None, str | None]:
    """A NIfTI fully read into memory (a full read catches truncation), or the problem."""
    try:
        img = nib.load(str(path))
        data = np.asanyarray(img.dataobj)
        return nib.Nifti1Image(data, img.affine, img.header), None
    except FileNotFoundError:
        return None, "file not found; was it moved or deleted after discovery?"
    except Exception as exc:  # nibabel raises many types for corrupt files
        detail = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        return None, f"unreadable or corrupt NIfTI ({detail}); re-download or re-export this file"


def _same_scans(case: Case, modalities: tuple[str, ...], reader: VolumeReader) -> None:
    """A problem for one file given as two modalities (a swap or a copy-paste slip)."""
    seen: dict[tuple, str] = {}
    for modality in modalities:
        ref = case.image(modality)
        key = (ref.path.resolve(), ref.channel)
        if key in seen:
            reader.fail(ref.path, f"given as both {seen[key]} and {modality}; each modality "
                        "needs its own scan")  # fmt: skip
        seen[key] = modality


def _read(
    case: Case, modalities: tuple[str, ...], with_seg: bool = True
) -> tuple[VolumeReader, LoadedCase | None]:
    reader = VolumeReader(case)
    seg_path = case.seg if with_seg else None
    reader.prefetch([case.image(m).path for m in modalities] + ([seg_path] if seg_path else []))
    _same_scans(case, modalities, reader)
    volumes: list[np.ndarray] = []
    digests: dict[bytes, str] = {}
    first: tuple[ImageRef, nib.Nifti1Image] | None = None
    for modality in modalities:
        ref = case.image(modality)
        got = reader.volume(ref, modality)
        if got is None:
            continue
        data, img = got
        low, high = data.min(), data.max()
        if low == high:
            reader.fail(ref.path, f"{modality} is {'empty' if high == 0 else 'constant'} (every "
                        f"voxel {high}): nothing to segment; check the export of this scan")  # fmt: skip
            continue
        digest = hashlib.blake2b(np.ascontiguousarray(data).view(np.uint8), digest_size=16).digest()
        if digest in digests:
            reader.fail(ref.path, f"{modality} holds the same voxels as {digests[digest]}: a "
                        "copy, not its own scan")  # fmt: skip
            continue
        digests[digest] = modality
        if first is None:
            first = (ref, img)
            volumes.append(data)
            continue
        ref0, img0 = first
        shape0 = volumes[0].shape
        if data.shape != shape0:
            reader.fail(ref.path, f"shape {data.shape} differs from {ref0.path.name} {shape0}")
        elif not np.allclose(img.affine, img0.affine, atol=AFFINE_TOLERANCE):
            reader.fail(
                ref.path,
                f"affine differs from {ref0.path.name}; the modalities must be co-registered "
                "on one voxel grid",
            )
        else:
            volumes.append(data)

    seg = None
    if seg_path is not None:
        got = reader.volume(ImageRef(seg_path), "segmentation")
        if got is not None and first is not None:
            data, img = got
            ref0, img0 = first
            if data.shape != volumes[0].shape:
                reader.fail(
                    case.seg, f"shape {data.shape} differs from the images {volumes[0].shape}"
                )
            elif not np.allclose(img.affine, img0.affine, atol=AFFINE_TOLERANCE):
                reader.fail(case.seg, f"affine differs from {ref0.path.name}")
            else:
                try:  # one pass over the labels: validates and converts
                    seg = to_internal(data, case.convention)
                except DataError as exc:
                    reader.fail(case.seg, f"{exc}; is --layout right?")

    if reader.problems or first is None:
        return reader, None
    foreground_cm3 = float((volumes[0] > 0).sum() * np.prod(first[1].header.get_zooms()[:3])) / 1000
    if foreground_cm3 > HEAD_CM3:
        reader.warnings.append(Problem(case.case_id, str(first[0].path),
                               f"{foreground_cm3:.0f} cm3 of non-zero voxels, more than a brain "
                               "(up to about 2 L): is it skull-stripped? Strip it first (e.g. HD-BET)"))  # fmt: skip
    for a, b, p in probable_swaps(dict(zip(modalities, volumes))):
        reader.warnings.append(Problem(case.case_id, str(case.image(a).path),
                               f"{a} and {b} look swapped (probability {p:.2f}); check which "
                               "file is which"))  # fmt: skip
    image = np.stack([v.astype(np.float32, copy=False) for v in volumes])
    img0 = first[1]
    warned = tuple(w.message for w in reader.warnings)
    return reader, LoadedCase(case, modalities, image, seg, img0.affine, img0.header, warned)


def check_case(case: Case, modalities: tuple[str, ...] = MODALITIES) -> list[Problem]:
    """Every problem of ``case``'s files (empty list: the case is usable)."""
    return _read(case, modalities)[0].problems


def inspect_case(
    case: Case, modalities: tuple[str, ...] = MODALITIES
) -> tuple[list[Problem], list[Problem]]:
    """(problems, warnings) of ``case``'s files: warnings are only probable (a swap)."""
    reader, _ = _read(case, modalities)
    return reader.problems, reader.warnings


def load_case(
    case: Case, modalities: tuple[str, ...] = MODALITIES, with_seg: bool = True
) -> LoadedCase:
    """Load ``case``'s images and (``with_seg``) segmentation; raise DataError on the first
    problem. Prediction leaves the segmentation out: it never needs the reference."""
    reader, loaded = _read(case, modalities, with_seg)
    if loaded is None:
        raise DataError(str(reader.problems[0]))
    return loaded
