"""``smart-brains tune-postprocessing RUN``: pick the minimum component sizes of WT, TC and ET
(``postprocess.PostProcessing``) that maximise the metric the chosen challenge ranks on, over the
run's validation cases (or, for a folder of fold runs, over all the out-of-fold predictions
together: nnU-Net's way), and save them with the run (``postprocessing.json``), where
``predict`` finds them. Both Dice scores, whole-volume and lesion-wise, are reported before and
after, per region."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from smart_brains.data.cache import channel_indices, open_case, read_index
from smart_brains.data.labels import REGIONS
from smart_brains.data.splits import split_ids
from smart_brains.errors import DataError
from smart_brains.evaluation.challenges import default_challenge, get_challenge, score_regions
from smart_brains.evaluation.evaluate import ranking_score, tumour_crop
from smart_brains.inference.postprocess import PostProcessing, tune
from smart_brains.inference.predict import PredictOptions, Predictor
from smart_brains.paths import RunDir, expand_runs, write_text

Pair = tuple[np.ndarray, np.ndarray, tuple[float, float, float]]


def tune_postprocessing(
    run: str | Path,
    cache: str | Path | None = None,
    device: str = "auto",
    tta: str = PredictOptions().tta,
    challenge: str | None = None,
) -> dict:
    """Predict the validation cases of ``run`` (or of every fold run inside it) from the
    prepared cache (``cache`` overrides the path in its config), tune the thresholds for
    ``challenge`` (default: the one the cache's case names point to) and save them in
    ``RUN/postprocessing.json``.

    Returns what was saved: {"min_voxels", "challenge", "ranking", "search" (region ->
    candidate -> mean score), "before"/"after" (region -> mean dice and lesion_dice),
    "cases", "tta", "runs"}.
    """
    root = Path(run)
    runs = expand_runs([root])
    pairs: list[Pair] = []
    ids: list[str] = []
    convention = "brats2021"
    for fold_run in runs:
        got, convention = _validation_pairs(fold_run, cache, device, tta)
        ids += list(got)
        pairs += list(got.values())
    if not pairs:
        raise DataError(f"{run}: the run's validation split has no labelled cases to tune on")
    rules = get_challenge(challenge) if challenge else default_challenge(ids, convention)
    best, search = tune(
        [(p, (r, s)) for p, r, s in pairs],
        lambda pred, ref_spacing: ranking_score(pred, *ref_spacing, rules),
    )
    saved = {
        **best.to_dict(),
        "challenge": rules.name,
        "ranking": rules.ranking_column,
        "search": search,
        "before": _mean_dice(pairs, PostProcessing(), rules),
        "after": _mean_dice(pairs, best, rules),
        "cases": len(pairs),
        "tta": tta,
        "runs": len(runs),
    }
    write_text(RunDir(root).postprocessing, json.dumps(saved, indent=1))
    return saved


def _mean_dice(pairs: list[Pair], post: PostProcessing, rules) -> dict[str, dict[str, float]]:
    """Region -> mean whole-volume and lesion-wise Dice over ``pairs`` after ``post``."""
    rows = []
    for pred, ref, spacing in pairs:
        pred = post.apply(pred)
        box = tumour_crop(pred, ref)
        rows += score_regions(pred[box], ref[box], spacing, rules, distances=False)
    return {
        region: {
            metric: float(np.mean([r[metric] for r in rows if r["region"] == region]))
            for metric in ("dice", "lesion_dice")
        }
        for region in REGIONS
    }


def _validation_pairs(
    run: Path, cache: str | Path | None, device: str, tta: str
) -> tuple[dict[str, Pair], str]:
    """Case id -> (predicted, reference internal labels, spacing in mm) of ``run``'s validation
    cases (its fold's, for a fold run), predicted from the prepared cache without
    post-processing; and the dataset's label convention."""
    predictor = Predictor.from_checkpoints([run], device)
    cache = Path(cache or predictor.cfg.cache)
    index = read_index(cache)
    channels = channel_indices(index["modalities"], predictor.cfg.modalities, cache)
    val_ids = split_ids(cache, predictor.cfg.fold)[1]
    pairs = {}
    for case_id in val_ids:
        prepared = open_case(cache, case_id)
        if prepared.label is None:
            continue
        image = np.asarray(prepared.image[channels], np.float32)
        mean, _, _ = predictor.probabilities(image, PredictOptions(tta=tta))
        affine = np.asarray(prepared.meta["affine"], float)
        spacing = tuple(float(v) for v in np.linalg.norm(affine[:3, :3], axis=0))
        pairs[case_id] = (predictor.cfg.output.decode(mean), np.asarray(prepared.label), spacing)
    return pairs, str(index.get("convention", "brats2021"))
