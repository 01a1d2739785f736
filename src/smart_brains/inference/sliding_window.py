"""Full-volume inference by overlapping windows with Gaussian blending, mirroring test-time
augmentation batched into the same forward passes (nnU-Net's way).

Each window is cut once; its mirrored copies (``flips``) go through the network in the same
batch, their outputs are mirrored back and blended into one logit map per mirror ("member"), so
8-flip TTA costs one pass over the windows with 8x larger batches instead of eight passes over
the volume. Blending weights are a Gaussian (sigma = 0.125 x window, normalised to 1 at the
centre, floored at 1e-3), as in MONAI and nnU-Net. Logits are blended, then activated.

The network runs with channels-last memory, in bfloat16 autocast where the caller asks (on a GPU,
and on CPUs with bfloat16 instructions: ``PredictOptions.autocast_dtype``); blending is float32.
Pure PyTorch: nothing here imports MONAI (importing it costs seconds before the first case).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

from smart_brains.models.outputs import SegmentationOutput

SIGMA_SCALE = 0.125
MIN_WEIGHT = 1e-3


def gaussian_weights(window: Sequence[int], device: torch.device | str = "cpu") -> torch.Tensor:
    """(X, Y, Z) float32 blending weights of one window: 1 at the centre, >= ``MIN_WEIGHT``."""
    axes = []
    for n in window:
        sigma = n * SIGMA_SCALE
        x = torch.arange(n, dtype=torch.float64) - (n - 1) / 2
        axes.append(torch.exp(-0.5 * (x / sigma) ** 2))
    weights = axes[0][:, None, None] * axes[1][None, :, None] * axes[2][None, None, :]
    weights = (weights / weights.max()).clamp_min(MIN_WEIGHT)
    return weights.to(device=device, dtype=torch.float32)


def window_starts(size: int, window: int, overlap: float) -> list[int]:
    """Start indices along one axis of ``size`` voxels (>= ``window``): a stride of
    ``window * (1 - overlap)`` (at least 1), the last window flush with the end."""
    if size <= window:
        return [0]
    stride = max(1, int(window * (1 - overlap)))
    count = math.ceil((size - window) / stride) + 1
    return sorted({min(i * stride, size - window) for i in range(count)})


def _forward(
    model: nn.Module, batch: torch.Tensor, dtype: torch.dtype | None, chunk: int
) -> torch.Tensor:
    """Logits of ``batch`` in forward passes of at most ``chunk`` windows, channels-last (the
    convolution kernels' preferred layout on CPUs and GPUs), under ``dtype`` autocast."""
    outs = []
    for part in batch.split(chunk):
        part = part.contiguous(memory_format=torch.channels_last_3d)
        if dtype is None:
            outs.append(model(part).float())
        else:
            with torch.autocast(batch.device.type, dtype=dtype):
                outs.append(model(part).float())
    return torch.cat(outs)


@torch.no_grad()
def blended_logits(
    model: nn.Module,
    image: torch.Tensor,
    window: Sequence[int],
    overlap: float = 0.25,
    batch_size: int = 2,
    flips: Sequence[tuple[int, ...]] = ((),),
    dtype: torch.dtype | None = None,
) -> torch.Tensor:
    """Blended logits of every mirror member: (F, K, X, Y, Z) float32, F = len(flips).

    Args:
        model: maps (B, C, *window) to logits (B, K, *window), in eval mode.
        image: (C, X, Y, Z) float32 on the model's device, normalised like the training data.
        window: window size (voxels); the image is zero-padded up to it where smaller.
        flips: spatial axes (0 = X) to mirror, one tuple per member (``tta.flip_sets``).
        batch_size: windows (mirrors included) per forward pass; windows are cut in groups of
            ``max(1, batch_size // F)`` and each window's mirrors go with it.
        dtype: autocast dtype (bfloat16), None for float32.
    """
    shape = image.shape[1:]
    padded = [max(s, w) for s, w in zip(shape, window)]
    if padded != list(shape):
        pad = [(0, p - s) for s, p in zip(shape, padded)]
        image = torch.nn.functional.pad(image, [v for pair in reversed(pad) for v in pair])
    weights = gaussian_weights(window, image.device)
    starts = [
        (x, y, z)
        for x in window_starts(padded[0], window[0], overlap)
        for y in window_starts(padded[1], window[1], overlap)
        for z in window_starts(padded[2], window[2], overlap)
    ]
    logits = weight_sum = None
    group = max(1, batch_size // len(flips))
    for first in range(0, len(starts), group):
        corners = starts[first : first + group]
        boxes = [tuple(slice(c, c + w) for c, w in zip(corner, window)) for corner in corners]
        windows = torch.stack([image[(slice(None), *box)] for box in boxes])
        mirrored = [windows.flip([a + 2 for a in axes]) if axes else windows for axes in flips]
        out = _forward(model, torch.cat(mirrored), dtype, batch_size)  # (F * B, K, *window)
        if logits is None:
            logits = torch.zeros((len(flips), out.shape[1], *padded), device=image.device)
            weight_sum = torch.zeros(padded, device=image.device)
        out = out.view(len(flips), len(boxes), *out.shape[1:])
        for f, axes in enumerate(flips):
            member = out[f].flip([a + 2 for a in axes]) if axes else out[f]
            for b, box in enumerate(boxes):
                logits[(f, slice(None), *box)].addcmul_(member[b], weights)
        for box in boxes:
            weight_sum[box] += weights
    logits /= weight_sum
    return logits[(slice(None), slice(None), *(slice(0, s) for s in shape))]


def member_probabilities(
    model: nn.Module,
    image: np.ndarray,
    patch_size_vox: tuple[int, int, int],
    output: SegmentationOutput,
    overlap: float = 0.25,
    device: torch.device | str = "cpu",
    batch_size: int = 2,
    flips: Sequence[tuple[int, ...]] = ((),),
    dtype: torch.dtype | None = None,
) -> np.ndarray:
    """(F, K, X, Y, Z) float32 probabilities of each mirror member of ``flips`` for one
    (C, X, Y, Z) image normalised like the training data (``blended_logits``)."""
    model.eval()
    x = torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32)).to(device)
    logits = blended_logits(model, x, patch_size_vox, overlap, batch_size, flips, dtype)
    return output.activate(logits).float().cpu().numpy()
