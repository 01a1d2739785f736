"""``smart-brains crossval RUNS``: the cross-validation score table of a folder of fold runs
(``train --fold all``): every fold predicts its own held-out cases (out-of-fold predictions, in
``RUNS/oof/``), and all of them are scored together (``RUNS/crossval/``), as nnU-Net reports a
cross-validation."""

from __future__ import annotations

from pathlib import Path

from smart_brains.config import load_config
from smart_brains.data.cache import read_index
from smart_brains.data.splits import split_ids
from smart_brains.errors import DataError
from smart_brains.evaluation.evaluate import Evaluation, evaluate
from smart_brains.inference.predict import predict
from smart_brains.paths import expand_runs
from smart_brains.workflows.scoring import write_evaluation


def crossval_scores(
    folds: str | Path,
    data: str | Path | None = None,
    device: str = "auto",
    progress: bool = True,
    challenge: str | None = None,
) -> tuple[Evaluation, Path]:
    """Out-of-fold predictions of every fold run in ``folds``, scored by ``challenge``'s rules
    (default: the dataset's, ``evaluate``); returns the evaluation and the folder its tables
    were written to."""
    folds = Path(folds)
    runs = [r for r in expand_runs([folds]) if r != folds]
    if not runs:
        raise DataError(
            f"{folds}: no fold runs inside (folders with a config.yaml); train them with --fold all"
        )
    held: list[str] = []
    for run in runs:
        cfg = load_config(run / "config.yaml")
        if cfg.fold < 0:
            raise DataError(f"{run}: not a fold run (trained on the 80:20 split)")
        val = split_ids(cfg.cache, cfg.fold)[1]
        source = Path(data or read_index(cfg.cache)["source"])
        predict(run, source, folds / "oof", device=device, case_ids=val, progress=progress)
        held += val
    if len(set(held)) != len(held):
        raise DataError(f"{folds}: the folds' validation cases overlap; were they prepared alike?")
    result = evaluate(folds / "oof", source, case_ids=sorted(held), challenge=challenge)
    out = folds / "crossval"
    write_evaluation(result, out)
    return result, out
