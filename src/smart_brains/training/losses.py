"""Losses, by config name. Region losses take (B, 3, ...) logits and (B, 3, ...) float masks;
label losses take (B, 4, ...) logits and (B, ...) int64 internal labels."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from monai.losses import DiceCELoss, DiceLoss
from torch import nn

from smart_brains.models.outputs import IGNORE


class DiceBCELoss(nn.Module):
    """Soft Dice (sigmoid, batch-wise) plus binary cross entropy, summed: nnU-Net's region loss."""

    def __init__(self) -> None:
        super().__init__()
        self.dice = DiceLoss(sigmoid=True, batch=True, smooth_nr=1e-5, smooth_dr=1e-5)
        self.bce = nn.BCEWithLogitsLoss()

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return self.dice(logits, target) + self.bce(logits, target)


class _LabelLoss(nn.Module):
    """Adapts (B, ...) int64 targets to MONAI's (B, 1, ...) convention."""

    def __init__(self, loss: nn.Module) -> None:
        super().__init__()
        self.loss = loss

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return self.loss(logits, target.unsqueeze(1))


class DeepSupervisionLoss(nn.Module):
    """Weighted sum of ``loss`` over outputs at decreasing resolution, as nnU-Net trains.

    Output i (resolution 1 / 2^i) has weight 1 / 2^i, normalised to sum to 1; its target is the
    full-resolution target resampled with nearest neighbour to the output's size.
    """

    def __init__(self, loss: nn.Module) -> None:
        super().__init__()
        self.loss = loss

    def forward(
        self, outputs: torch.Tensor | list[torch.Tensor], target: torch.Tensor
    ) -> torch.Tensor:
        if isinstance(outputs, torch.Tensor):
            return self.loss(outputs, target)
        weights = [0.5**i for i in range(len(outputs))]
        total = 0.0
        for weight, logits in zip(weights, outputs):
            total = total + weight * self.loss(logits, downsample_target(target, logits.shape[2:]))
        return total / sum(weights)


def downsample_target(target: torch.Tensor, size: torch.Size) -> torch.Tensor:
    """Nearest-neighbour resize of (B, K, ...) float masks or (B, ...) int64 labels."""
    if target.shape[-3:] == size:
        return target
    if target.dtype == torch.long:
        return F.interpolate(target[:, None].float(), size=size, mode="nearest")[:, 0].long()
    return F.interpolate(target, size=size, mode="nearest")


class CaseClassLoss(nn.Module):
    """``weight`` x cross entropy of (B, K) case-class logits against (B,) class indices,
    averaged over the patches that carry a class (``IGNORE`` ones add nothing; a batch with
    none gives 0 while keeping the head in the graph, so DDP sees every parameter used)."""

    def __init__(self, weight: float) -> None:
        super().__init__()
        self.weight = weight

    def forward(self, logits: torch.Tensor, case_class: torch.Tensor) -> torch.Tensor:
        total = F.cross_entropy(logits.float(), case_class, ignore_index=IGNORE, reduction="sum")
        return self.weight * total / (case_class != IGNORE).sum().clamp(min=1)


def _dice() -> nn.Module:
    return DiceLoss(sigmoid=True, batch=True, smooth_nr=1e-5, smooth_dr=1e-5)


def _dice_ce() -> nn.Module:
    return _LabelLoss(DiceCELoss(softmax=True, to_onehot_y=True, batch=True))


def _mdice() -> nn.Module:  # multi-class soft Dice over NCR, ED, ET (the original project's)
    return _LabelLoss(
        DiceLoss(softmax=True, to_onehot_y=True, include_background=False, batch=True)
    )


# config name -> constructor; ``models.outputs`` says which output each one trains
LOSSES: dict[str, Callable[[], nn.Module]] = {
    "dice_bce": DiceBCELoss,
    "dice": _dice,
    "bce": nn.BCEWithLogitsLoss,
    "ce": nn.CrossEntropyLoss,
    "dice_ce": _dice_ce,
    "mdice": _mdice,
}


def build_loss(name: str) -> nn.Module:
    """'dice_bce' (default), 'dice', 'bce' on regions; 'ce', 'dice_ce', 'mdice' on labels.
    Every loss accepts a list of deep-supervision outputs as well as a single tensor."""
    if name not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; choose from {', '.join(LOSSES)}")
    return DeepSupervisionLoss(LOSSES[name]())
