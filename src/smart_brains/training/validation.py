"""Validation during training: full prepared volumes by sliding window, scored by the mean
Dice of WT, TC and ET; with a case-class head, the accuracy of the case classes too."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from smart_brains.config import TrainConfig
from smart_brains.data.cache import open_case
from smart_brains.data.labels import REGIONS, labels_to_regions
from smart_brains.devices import autocast_dtype
from smart_brains.evaluation.metrics import dice
from smart_brains.inference.sliding_window import member_probabilities


@torch.no_grad()
def validate(
    model: nn.Module,
    cfg: TrainConfig,
    case_ids: list[str],
    channels: list[int],
    device: torch.device,
) -> dict[str, float]:
    """Mean per-region Dice over ``case_ids``, full prepared volumes by sliding window."""
    scores: dict[str, list[float]] = {r: [] for r in REGIONS}
    dtype = autocast_dtype(cfg.precision, device, cpu_bf16=False)
    for case_id in case_ids:
        case = open_case(cfg.cache, case_id)
        image = np.asarray(case.image[channels], dtype=np.float32)
        (probs,) = member_probabilities(
            model, image, cfg.patch_size_vox, cfg.output, cfg.sw_overlap, device, dtype=dtype
        )
        pred = labels_to_regions(cfg.output.decode(probs))
        ref = labels_to_regions(np.asarray(case.label))
        for i, region in enumerate(REGIONS):
            scores[region].append(dice(pred[i], ref[i]))
    return {r: float(np.mean(v)) for r, v in scores.items()}


@torch.no_grad()
def validate_classes(
    model: nn.Module,
    cfg: TrainConfig,
    truth: dict[str, str],
    channels: list[int],
    device: torch.device,
) -> float:
    """Accuracy of the case-class head over ``truth`` (case id -> class), each case read
    through one window centred on its reference tumour (``inference/case_class.py``)."""
    from smart_brains.inference.case_class import classify_window, tumour_window

    output = cfg.case_output
    correct = 0
    for case_id, expected in truth.items():
        case = open_case(cfg.cache, case_id)
        window = tumour_window(case.image[channels], np.asarray(case.label), cfg.patch_size_vox)
        probabilities = classify_window([model], window, output, device)
        correct += output.decode(probabilities) == expected
    return correct / len(truth)
