"""Case classes from a network's case-class head: the head reads one window centred on the
tumour (the whole tumour's centroid; the image centre when there is none), as it was trained on
tumour-centred patches."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from smart_brains.data.preprocess import extract_patch
from smart_brains.models.outputs import CaseClassOutput


def tumour_window(
    image: np.ndarray, labels: np.ndarray, patch_size_vox: tuple[int, int, int]
) -> np.ndarray:
    """(C, *patch) float32 cut from ``image`` (C, X, Y, Z) around the centroid of ``labels``
    > 0 (X, Y, Z), zero-padded outside."""
    tumour = np.argwhere(labels > 0)
    centre = tumour.mean(0) if len(tumour) else (np.array(labels.shape) - 1) / 2
    corner = tuple(int(round(c)) - p // 2 for c, p in zip(centre, patch_size_vox))
    return extract_patch(np.asarray(image, np.float32), corner, patch_size_vox)


@torch.no_grad()
def classify_window(
    models: Sequence[nn.Module],
    window: np.ndarray,
    output: CaseClassOutput,
    device: torch.device | str = "cpu",
) -> np.ndarray:
    """(K,) class probabilities of one (C, *patch) window, the mean over ``models``."""
    x = torch.from_numpy(np.ascontiguousarray(window))[None].to(device)
    probabilities = []
    for model in models:
        model.eval()
        probabilities.append(output.activate(model.classify(x))[0].cpu().numpy())
    return np.mean(probabilities, axis=0)
