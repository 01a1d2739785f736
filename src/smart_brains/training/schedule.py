"""Optimisers and learning-rate schedules: SGD-Nesterov with polynomial decay (nnU-Net), AdamW
with linear warm-up and cosine decay; a schedule completes within a time budget."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from smart_brains.config import TrainConfig


def build_optimizer(cfg: TrainConfig, model: nn.Module) -> torch.optim.Optimizer:
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(
            model.parameters(),
            lr=cfg.lr,
            momentum=0.99,
            nesterov=True,
            weight_decay=cfg.weight_decay,
        )
    return torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)


def lr_factor(cfg: TrainConfig, progress: float) -> float:
    """Learning-rate multiplier at ``progress`` in [0, 1] of the run (see ``run_progress``).

    SGD: polynomial decay (1 - t)^0.9 (nnU-Net). AdamW: linear warm-up over
    ``warmup_fraction`` of the run, then cosine decay to zero.
    """
    t = min(max(progress, 0.0), 1.0)
    if cfg.optimizer == "sgd":
        return (1 - t) ** 0.9
    warmup = cfg.warmup_fraction
    total = cfg.epochs * cfg.steps_per_epoch
    if t < warmup:
        return min(1.0, (t * total + 1) / (warmup * total))
    return float(0.5 * (1 + np.cos(np.pi * (t - warmup) / (1 - warmup))))


def run_progress(cfg: TrainConfig, step: int, train_seconds: float = 0.0) -> float:
    """How far the run is: steps done over all steps, or, with a time budget, the share of the
    budget spent if that is further along (so the schedule completes within the budget)."""
    progress = step / (cfg.epochs * cfg.steps_per_epoch)
    if cfg.time_budget_s:
        progress = max(progress, train_seconds / cfg.time_budget_s)
    return progress


@dataclass
class Clock:
    """Training seconds so far, read by the learning-rate schedule of time-budgeted runs."""

    seconds: float = 0.0


def build_scheduler(
    cfg: TrainConfig, optimizer: torch.optim.Optimizer, clock: Clock
) -> torch.optim.lr_scheduler.LambdaLR:
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: lr_factor(cfg, run_progress(cfg, step, clock.seconds))
    )
