"""Losses, by config name. Region losses take (B, 3, ...) logits and (B, 3, ...) float masks;
label losses take (B, 4, ...) logits and (B, ...) int64 internal labels."""

from __future__ import annotations

import torch
from monai.losses import DiceCELoss, DiceLoss
from torch import nn


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


def build_loss(name: str) -> nn.Module:
    """'dice_bce' (default), 'dice', 'bce' on regions; 'ce', 'dice_ce' on labels."""
    if name == "dice_bce":
        return DiceBCELoss()
    if name == "dice":
        return DiceLoss(sigmoid=True, batch=True, smooth_nr=1e-5, smooth_dr=1e-5)
    if name == "bce":
        return nn.BCEWithLogitsLoss()
    if name == "ce":
        return nn.CrossEntropyLoss()
    if name == "dice_ce":
        return _LabelLoss(DiceCELoss(softmax=True, to_onehot_y=True, batch=True))
    raise ValueError(f"unknown loss {name!r}")
