"""One case and a segmentation of it, as an interactive page (``reports/viewer.py``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from smart_brains.data.discovery import Case, discover
from smart_brains.data.loading import AFFINE_TOLERANCE, load_case
from smart_brains.data.segmentations import prediction_path, read_label_map
from smart_brains.errors import DataError
from smart_brains.paths import write_text
from smart_brains.reports.viewer import ViewerCase, viewer_html


def find_case(data: str | Path, case_id: str | None = None) -> Case:
    """The case of a case folder, or case ``case_id`` of a dataset folder."""
    cases = discover(data)
    if case_id is not None:
        chosen = [c for c in cases if c.case_id == case_id]
        if not chosen:
            raise DataError(f"{data}: no case {case_id}; it has {', '.join(c.case_id for c in cases[:5])}"
                            + (" ..." if len(cases) > 5 else ""))  # fmt: skip
        return chosen[0]
    if len(cases) != 1:
        raise DataError(
            f"{data}: {len(cases)} cases; name one with --id (e.g. --id {cases[0].case_id})"
        )
    return cases[0]


def segmentation_of(case: Case, seg: str | None) -> tuple[Path | None, str]:
    """(file, what it is) for ``--seg``: None or 'reference' (the case's own, if any), 'none',
    a label file, or a folder of predictions (``<case_id>.nii.gz`` in it)."""
    if seg in (None, "reference"):
        if case.seg is None and seg == "reference":
            raise DataError(f"case {case.case_id}: no reference segmentation beside its images")
        return case.seg, "reference" if case.seg else "no segmentation"
    if seg == "none":
        return None, "no segmentation"
    path = Path(seg)
    if path.is_dir():
        path = prediction_path(path, case.case_id)
    if not path.is_file():
        raise DataError(f"--seg {seg}: no such file or folder")
    return path, f"segmentation {path.name}"


def view_case(
    data: str | Path,
    out: str | Path | None = None,
    seg: str | None = None,
    case_id: str | None = None,
    max_background_voxels: int = 2_000_000,
) -> Path:
    """Write the viewer page of one case; returns its path (default ``<case_id>.html``)."""
    case = find_case(data, case_id)
    seg_path, what = segmentation_of(case, seg)
    out = Path(out) if out is not None else Path(f"{case.case_id}.html")
    return write_view(case, seg_path, what, out, max_background_voxels)


def write_view(
    case: Case, seg_path: Path | None, what: str, out: Path, max_background_voxels: int = 2_000_000
) -> Path:
    """The page of ``case`` with the labels of ``seg_path`` (or none) written to ``out``."""
    if out.is_dir():
        raise DataError(
            f"--out {out}: a folder; give the page's file name (e.g. {out / case.case_id}.html)"
        )
    loaded = load_case(case)
    labels = None
    if seg_path is not None:
        labels, img = read_label_map(seg_path, case, "segmentation")
        if labels.shape != loaded.image.shape[1:] or not np.allclose(
            img.affine, loaded.affine, atol=AFFINE_TOLERANCE
        ):
            raise DataError(f"{seg_path}: not on the grid of case {case.case_id}'s images "
                            f"(shape {labels.shape}, images {loaded.image.shape[1:]})")  # fmt: skip
    images = dict(zip(loaded.modalities, loaded.image))
    shown = ViewerCase(
        case.case_id, images, loaded.affine, {} if labels is None else {what: labels}, what
    )
    note = f"labels in the {case.convention} convention, shown as NCR/NET, ED and ET"
    return write_text(out, viewer_html(case.case_id, [shown], note, max_background_voxels))


def view_predictions(
    data: str | Path | Case, pred_dir: Path, case_ids: list[str], out_dir: Path
) -> list[Path]:
    """``<out_dir>/<case_id>_view.html`` for each predicted case: its images and prediction."""
    cases = [data] if isinstance(data, Case) else discover(data)
    chosen = [c for c in cases if c.case_id in set(case_ids)]
    return [
        write_view(
            c,
            prediction_path(pred_dir, c.case_id),
            "prediction",
            out_dir / f"{c.case_id}_view.html",
        )
        for c in chosen
    ]
