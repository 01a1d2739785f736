"""Per-epoch bookkeeping of the training loop: a step skipped for non-finite gradients, the
epoch's mean loss, and its end (validation, the metrics row, the best checkpoint)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from smart_brains.checkpoint import save_checkpoint, weights_state
from smart_brains.config import TrainConfig
from smart_brains.data.labels import REGIONS
from smart_brains.errors import TrainingError
from smart_brains.paths import RunDir
from smart_brains.training.state import TrainState, write_metrics
from smart_brains.training.validation import validate, validate_classes

MAX_SKIPPED_IN_A_ROW = 20  # non-finite steps in a row before training stops


def skip_step(run: RunDir, state: TrainState, in_a_row: int, main: bool) -> int:
    """Count a step whose gradients were not finite (its update skipped); TrainingError once
    ``MAX_SKIPPED_IN_A_ROW`` came in a row. Returns the new count in a row."""
    state.skipped_in_epoch += 1
    if main:
        tqdm.write(f"step {state.global_step + 1}: non-finite gradients, update skipped")
    if in_a_row + 1 >= MAX_SKIPPED_IN_A_ROW:
        then = (
            "its last checkpoint is kept: --resume it with a lower --lr"
            if run.last.exists()
            else "nothing was saved: train it again with a lower --lr"
        )
        raise TrainingError(
            f"{run.root}: training diverged ({MAX_SKIPPED_IN_A_ROW} steps in a row with "
            f"non-finite gradients, up to step {state.global_step + 1}); {then}, or in "
            "--precision fp32"
        )
    return in_a_row + 1


def mean_loss(state: TrainState) -> float:
    """Mean training loss of the epoch's updated steps (NaN if every step was skipped)."""
    updated = state.step_in_epoch - state.skipped_in_epoch
    if updated:
        return state.loss_sum / updated
    return float("nan") if state.skipped_in_epoch else 0.0


def end_epoch(
    cfg: TrainConfig,
    run: RunDir,
    model: nn.Module,
    val_ids: list[str],
    channels: list[int],
    device: torch.device,
    state: TrainState,
    optimizer: torch.optim.Optimizer,
    last: bool,
    val_classes: dict[str, str],
) -> dict[str, Any]:
    """Validate if due, write the metrics row and the best checkpoint."""
    epoch = state.epoch
    row: dict[str, Any] = {
        "epoch": epoch + 1,
        "train_loss": round(mean_loss(state), 5),
        "lr": optimizer.param_groups[0]["lr"],
        "train_seconds": round(state.train_seconds, 1),
    }
    if val_ids and ((epoch + 1) % cfg.val_every == 0 or epoch + 1 == cfg.epochs or last):
        scores = validate(model, cfg, val_ids, channels, device)
        row.update({f"val_dice_{r}": round(v, 4) for r, v in scores.items()})
        row["val_dice_mean"] = round(float(np.mean(list(scores.values()))), 4)
        if cfg.case_output and val_classes:
            row["val_class_accuracy"] = round(
                validate_classes(model, cfg, val_classes, channels, device), 4
            )
        if row["val_dice_mean"] > state.best_metric:
            state.best_metric = row["val_dice_mean"]
            save_checkpoint(run.best, weights_state(cfg, model, state))
    write_metrics(run.metrics, row)
    return row


def format_row(row: dict[str, Any]) -> str:
    text = f"epoch {row['epoch']}: loss {row['train_loss']:.4f}"
    if "val_dice_mean" in row:
        text += "  val Dice " + " ".join(f"{r} {row[f'val_dice_{r}']:.3f}" for r in REGIONS)
    if "val_class_accuracy" in row:
        text += f"  val class accuracy {row['val_class_accuracy']:.3f}"
    return text + f"  ({row['train_seconds']} s of training)"
