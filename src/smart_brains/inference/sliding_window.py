"""Full-volume inference by overlapping patches (MONAI's sliding window, Gaussian blending)."""

from __future__ import annotations

import numpy as np
import torch
from monai.inferers import sliding_window_inference
from torch import nn

from smart_brains.models.outputs import SegmentationOutput


@torch.no_grad()
def predict_probabilities(
    model: nn.Module,
    image: np.ndarray,
    patch_size_vox: tuple[int, int, int],
    output: SegmentationOutput,
    overlap: float = 0.25,
    device: torch.device | str = "cpu",
    batch_size: int = 2,
) -> np.ndarray:
    """Probabilities for one volume.

    Args:
        model: maps (B, C, *patch) to logits (B, K, *patch).
        image: (C, X, Y, Z) float, normalised like the training data.
        output: what the model outputs (its activation turns logits into probabilities).

    Returns:
        (K, X, Y, Z) float32 probabilities.
    """
    model.eval()
    x = torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32))[None].to(device)
    logits = sliding_window_inference(
        x, patch_size_vox, batch_size, model, overlap=overlap, mode="gaussian"
    )
    return output.activate(logits)[0].float().cpu().numpy()
