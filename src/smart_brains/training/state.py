"""The training state a checkpoint restores besides the weights (its formats:
``smart_brains.checkpoint``), and the per-epoch metrics file ``metrics.csv``: one row per epoch
(``METRIC_FIELDS``).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from smart_brains.checkpoint import load_checkpoint
from smart_brains.config import TrainConfig, config_from_dict
from smart_brains.data.labels import REGIONS
from smart_brains.errors import DataError
from smart_brains.paths import RunDir, atomic_path

# a resumed run must keep these
ARCHITECTURE_FIELDS = ("model", "preset", "modalities", "loss", "class_target", "classes")
METRIC_FIELDS = [
    "epoch",
    "train_loss",
    "lr",
    *[f"val_dice_{r}" for r in REGIONS],
    "val_dice_mean",
    "val_class_accuracy",
    "train_seconds",
]


@dataclass
class TrainState:
    """What a checkpoint restores, besides the weights."""

    epoch: int = 0  # current epoch (0-based)
    step_in_epoch: int = 0  # optimiser steps done in ``epoch``
    global_step: int = 0
    loss_sum: float = 0.0  # training loss summed over the updated steps of ``epoch`` so far
    skipped_in_epoch: int = 0  # steps of ``epoch`` whose update was skipped (non-finite)
    epoch_done: bool = False  # validation and metrics of ``epoch`` written
    best_metric: float = -1.0
    train_seconds: float = 0.0

    def next_epoch(self) -> TrainState:
        """The state at the start of the following epoch."""
        return TrainState(
            epoch=self.epoch + 1, global_step=self.global_step, best_metric=self.best_metric,
            train_seconds=self.train_seconds,
        )  # fmt: skip


def write_metrics(path: Path, row: dict[str, Any]) -> None:
    """Append ``row``, replacing any row of the same or a later epoch (after a resume)."""
    rows = []
    if path.exists():
        with path.open(newline="") as f:
            rows = [r for r in csv.DictReader(f) if int(r["epoch"]) < row["epoch"]]
    rows.append({k: row.get(k, "") for k in METRIC_FIELDS})
    with atomic_path(path) as tmp, tmp.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=METRIC_FIELDS)
        writer.writeheader()
        writer.writerows(rows)


def restore(
    run: RunDir,
    cfg: TrainConfig,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    scaler: torch.amp.GradScaler,
) -> TrainState:
    saved = load_checkpoint(run.last)
    old = config_from_dict(saved["config"])
    changed = [k for k in ARCHITECTURE_FIELDS if getattr(old, k) != getattr(cfg, k)]
    if changed:
        raise DataError(
            f"{run.last}: cannot resume with a different {', '.join(changed)} "
            f"(saved: {', '.join(str(getattr(old, k)) for k in changed)}); use a new --name"
        )
    model.load_state_dict(saved["model"])
    optimizer.load_state_dict(saved["optimizer"])
    scheduler.load_state_dict(saved["scheduler"])
    scaler.load_state_dict(saved["scaler"])
    torch.set_rng_state(saved["torch_rng"])
    if saved["cuda_rng"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(saved["cuda_rng"])
    state = TrainState(**saved["state"])
    if state.epoch_done:  # the checkpoint closed its epoch: continue with the next one
        state = state.next_epoch()
    return state
