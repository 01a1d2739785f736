"""``smart-brains report RUN``: predict the run's validation cases the predictions folder lacks,
score them, and hand everything to ``reports.report.write_report``, which draws the page."""

from __future__ import annotations

from pathlib import Path

from smart_brains.config import load_config
from smart_brains.data.cache import read_index
from smart_brains.data.discovery import discover
from smart_brains.data.splits import split_ids
from smart_brains.errors import DataError
from smart_brains.inference.predict import predict
from smart_brains.paths import RunDir
from smart_brains.reports.report import Report, ReportInputs, write_report
from smart_brains.workflows.scoring import score_folder


def build_report(
    run: str | Path,
    pred_dir: str | Path | None = None,
    data: str | Path | None = None,
    out: str | Path | None = None,
    device: str = "auto",
    progress: bool = True,
    classifier: str | Path | None = None,
    classes: str | Path | None = None,
    challenge: str | None = None,
) -> Report:
    """Write ``out/report.html`` (default ``RUN/report/``) and the PNGs behind it; returns it.

    ``data`` defaults to the dataset the run's cache was prepared from, ``pred_dir`` to
    ``RUN/predictions`` (missing validation cases are predicted there first). ``classifier``:
    a ``classify fit`` model folder; ``classes``: a ``classes.csv`` of the report's cases;
    ``challenge``: the scoring rules (default: the dataset's, ``evaluate``).
    """
    run_dir = RunDir(Path(run))
    if not run_dir.config.is_file():
        raise DataError(f"{run}: not a run folder (no config.yaml); pass runs/NAME")
    if not run_dir.metrics.is_file():
        raise DataError(f"{run}: no finished epoch yet (no metrics.csv); train it first")
    cfg = load_config(run_dir.config)
    data = Path(data or read_index(cfg.cache)["source"])
    val_ids = set(split_ids(cfg.cache, cfg.fold)[1])
    cases = {c.case_id: c for c in discover(data) if c.case_id in val_ids and c.seg}
    if not cases:
        raise DataError(f"{data}: none of the run's validation cases has a reference to report on")
    pred = Path(pred_dir) if pred_dir else run_dir.predictions
    missing = [i for i in cases if not (pred / f"{i}.nii.gz").exists()]
    if missing:
        predict(run_dir.root, data, pred, device=device, case_ids=missing, progress=progress)
    out = Path(out) if out else run_dir.root / "report"
    out.mkdir(parents=True, exist_ok=True)
    result, files = score_folder(
        pred, data, out / "evaluation", case_ids=sorted(cases), challenge=challenge
    )
    inputs = ReportInputs(
        run_dir, cfg, result, files, cases, pred, data,
        Path(classifier) if classifier else None, Path(classes) if classes else None,
    )  # fmt: skip
    return write_report(inputs, out)
