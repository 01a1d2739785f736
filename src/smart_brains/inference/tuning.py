"""``smart-brains tune-postprocessing RUN``: pick the small-enhancing-component threshold that
maximises the validation ET Dice of the run (or the out-of-fold ET Dice of a folder of fold
runs), as nnU-Net picks its post-processing, and save it with the run
(``postprocessing.json``), where ``predict`` finds it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from smart_brains.data.cache import open_case, read_index
from smart_brains.data.splits import load_splits, training_split
from smart_brains.errors import DataError
from smart_brains.inference.postprocess import tune_min_et_voxels
from smart_brains.inference.predict import PredictOptions, Predictor, expand_runs
from smart_brains.paths import RunDir, atomic_path
from smart_brains.training.loop import channel_indices


def tune_postprocessing(
    run: str | Path, cache: str | Path | None = None, device: str = "auto", tta: str = "none"
) -> dict:
    """Predict the run's validation cases from its prepared cache (``cache`` overrides the
    path saved in its config), try ``CANDIDATE_MIN_ET_VOXELS`` and save the best in
    ``RUN/postprocessing.json``. ``run`` may be a folder of fold runs (``train --fold all``):
    then every fold predicts its own held-out cases and the threshold is tuned on all those
    out-of-fold predictions together (nnU-Net's way), saved beside the folds, where predicting
    with the folder as an ensemble finds it.

    Returns what was saved: {"min_et_voxels", "val_et_dice" per candidate, "cases", "tta"}.
    """
    root = Path(run)
    runs = expand_runs([root])
    cases = []
    for fold_run in runs:
        cases += _validation_pairs(fold_run, cache, device, tta)
    if not cases:
        raise DataError(f"{run}: the run's validation split has no labelled cases to tune on")
    best, scores = tune_min_et_voxels(cases)
    saved = {"min_et_voxels": best, "val_et_dice": scores, "cases": len(cases), "tta": tta,
             "runs": len(runs)}  # fmt: skip
    with atomic_path(RunDir(root).postprocessing) as tmp:
        tmp.write_text(json.dumps(saved, indent=1))
    return saved


def _validation_pairs(
    run: Path, cache: str | Path | None, device: str, tta: str
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(predicted, reference) internal labels of ``run``'s validation cases (its fold's, for a
    fold run), predicted from the prepared cache without post-processing."""
    predictor = Predictor.from_checkpoints([run], device)
    cache = Path(cache or predictor.cfg.cache)
    index = read_index(cache)
    channels = channel_indices(index["modalities"], predictor.cfg.modalities, cache)
    val_ids = training_split(load_splits(cache / "splits.json"), predictor.cfg.fold, cache)[1]
    pairs = []
    for case_id in val_ids:
        prepared = open_case(cache, case_id)
        if prepared.label is None:
            continue
        image = np.asarray(prepared.image[channels], np.float32)
        mean, _, _ = predictor.probabilities(image, PredictOptions(tta=tta))
        pairs.append((predictor.cfg.output.decode(mean), np.asarray(prepared.label)))
    return pairs
