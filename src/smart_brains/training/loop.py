"""fit(): patch training from the prepared cache, validation, checkpoints.

Optimiser and schedule live in ``schedule.py``, checkpoint state and metrics in ``state.py``,
validation in ``validation.py``; this module runs the loop. With ``class_target`` the
multiscale network's case-class head trains in the same pass as the segmentation (its cross
entropy weighted by ``class_weight``, on tumour-containing patches of cases with a class).

A run folder (``paths.RunDir``) holds ``config.yaml``, ``metrics.csv``, ``tensorboard/``,
``checkpoints/last.pt`` (every epoch, and every ``checkpoint_every`` steps) and
``checkpoints/best.pt`` (best mean validation Dice), and ``training_curves.png``.

Every random choice of a step derives from (seed, epoch, index), and checkpoints hold the
step within the epoch, so ``resume`` continues exactly where a killed run stopped.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader
from tqdm import tqdm

from smart_brains.config import TrainConfig, config_to_dict, save_config
from smart_brains.data.cache import channel_indices, read_index
from smart_brains.data.labels import REGIONS
from smart_brains.data.splits import load_splits, training_split
from smart_brains.devices import autocast_dtype, resolve_device
from smart_brains.errors import DataError, TrainingError
from smart_brains.models.registry import build_model
from smart_brains.paths import RunDir
from smart_brains.training import distributed
from smart_brains.training.augment import apply_augment
from smart_brains.training.checkpoint import load_checkpoint, save_checkpoint
from smart_brains.training.losses import CaseClassLoss, build_loss
from smart_brains.training.patches import PatchDataset
from smart_brains.training.schedule import (
    Clock,
    build_optimizer,
    build_scheduler,
    lr_factor,
    run_progress,
)
from smart_brains.training.state import TrainState, restore, state_dict, write_metrics
from smart_brains.training.validation import validate, validate_classes

__all__ = ["fit", "lr_factor", "run_progress", "validate"]


def _loader(
    dataset: PatchDataset,
    cfg: TrainConfig,
    first_step: int,
    device: torch.device,
    info: distributed.DistInfo,
) -> DataLoader:
    """This rank's batches of the current epoch from ``first_step`` on, in a fixed order."""
    indices = [
        i
        for step in range(first_step, cfg.steps_per_epoch)
        for i in distributed.rank_indices(step, cfg.batch_size, info)
    ]
    return DataLoader(
        dataset,
        batch_size=cfg.batch_size,
        sampler=indices,
        num_workers=cfg.num_workers,
        pin_memory=device.type == "cuda",
        persistent_workers=False,
    )


def fit(cfg: TrainConfig, resume: bool = False, progress: bool = True) -> RunDir:
    """Train ``cfg.model`` on the cache's train split; returns the run folder.

    Args:
        cfg: configuration (resolved, saved to the run folder and into every checkpoint).
        resume: continue from ``checkpoints/last.pt`` of the same run if it exists.
        progress: show progress bars (on a terminal).
    """
    deterministic = torch.are_deterministic_algorithms_enabled()
    cfg = cfg.validate()
    info = distributed.init_distributed(resolve_device(cfg.device).type)
    try:
        return _fit(cfg, resume, progress and info.is_main, info)
    finally:
        torch.use_deterministic_algorithms(deterministic)
        distributed.teardown(info)


def fit_all_folds(cfg: TrainConfig, progress: bool = True) -> list[RunDir]:
    """Train every fold of the cache's ``splits.json`` in turn, into ``runs_dir/name/fold<k>``;
    a fold already finished is kept, one interrupted is resumed (so re-running continues)."""
    folds = load_splits(Path(cfg.cache) / "splits.json")["folds"]
    if not folds:
        raise DataError(f"{cfg.cache}: no folds; prepare it with --folds K")
    return [
        fit(dataclasses.replace(cfg, fold=k, name=f"{cfg.name}/fold{k}"), True, progress)
        for k in range(len(folds))
    ]


def resolve_case_classes(
    cfg: TrainConfig, index: dict[str, Any]
) -> tuple[TrainConfig, dict[str, str]]:
    """With ``class_target``: the config with its ``classes`` filled in from the labels, and
    every cached case's class (empty: unknown). Without: ``cfg`` and no classes."""
    if not cfg.class_target:
        return cfg, {}
    from smart_brains.classification.labels import load_labels

    labels = load_labels(
        Path(index["source"]), cfg.class_target, index["cases"], cfg.labels or None
    )
    if cfg.classes and tuple(cfg.classes) != tuple(labels.classes):
        raise DataError(
            f"{cfg.class_target}: the labels give classes {', '.join(labels.classes)}, the run "
            f"was started with {', '.join(cfg.classes)}; use a new --name"
        )
    return dataclasses.replace(cfg, classes=tuple(labels.classes)), labels.values


def _fit(cfg: TrainConfig, resume: bool, progress: bool, info: distributed.DistInfo) -> RunDir:
    index = read_index(cfg.cache)
    train_ids, val_ids = training_split(
        load_splits(Path(cfg.cache) / "splits.json"), cfg.fold, cfg.cache
    )
    channels = channel_indices(index["modalities"], cfg.modalities, cfg.cache)
    if not train_ids:
        raise DataError(f"{cfg.cache}: no labelled training cases; training needs *_seg files")
    cfg, case_classes = resolve_case_classes(cfg, index)
    case_output = cfg.case_output
    run = RunDir(Path(cfg.runs_dir) / cfg.name)
    if run.last.exists() and not resume:
        raise DataError(
            f"{run.root}: a run of this name exists; pass --resume to continue it or choose another --name"
        )
    main = info.is_main  # only rank 0 writes files, logs and validates
    if main:
        run.create()
        save_config(cfg, run.config)
        if info.enabled:
            tqdm.write(distributed.describe(info))
    distributed.barrier(info)
    device = resolve_device(cfg.device)
    if device.type == "cuda" and info.enabled:
        device = torch.device("cuda", info.local_rank)
    if cfg.deterministic:
        torch.use_deterministic_algorithms(True)
        torch.backends.cudnn.benchmark = False
    elif device.type == "cuda":
        torch.backends.cudnn.benchmark = True

    torch.manual_seed(cfg.seed)
    n_classes = len(case_output.classes) if case_output else 0
    model = build_model(cfg.model, cfg.preset, len(channels), cfg.out_channels, n_classes)
    model = model.to(device)
    if cfg.channels_last:
        model = model.to(memory_format=torch.channels_last_3d)
    optimizer = build_optimizer(cfg, model)
    clock = Clock()
    scheduler = build_scheduler(cfg, optimizer, clock)
    dtype = autocast_dtype(cfg.precision, device, cpu_bf16=False)
    scaler = torch.amp.GradScaler(device.type, enabled=dtype == torch.float16)
    state = TrainState()
    if resume and run.last.exists():
        state = restore(run, cfg, model, optimizer, scheduler, scaler)
    forward = distributed.wrap(model, info, device, all_used=cfg.deep_supervision)
    forward = torch.compile(forward) if cfg.compile else forward

    augment_on = (
        cfg.augment_on
        if cfg.augment_on != "auto"
        else ("device" if device.type == "cuda" else "loader")
    )
    dataset = PatchDataset(
        cfg.cache, train_ids, cfg.patch_size_vox, cfg.steps_per_epoch * cfg.batch_size * info.world_size,
        cfg.output, cfg.foreground_fraction, augment_on if cfg.augment else "none", cfg.seed, channels,
        [case_output.encode(case_classes[c]) for c in train_ids] if case_output else None,
        cfg.acquisition_augment,
    )  # fmt: skip
    loss_fn = build_loss(cfg.loss)
    class_loss = CaseClassLoss(case_output.weight) if case_output else None
    writer = _tensorboard(run) if main else None
    budget_hit = False
    skipped_in_a_row = 0
    while state.epoch < cfg.epochs and not budget_hit:
        epoch = state.epoch
        if not state.epoch_done:
            started = time.perf_counter()
            dataset.set_epoch(epoch)
            bar = tqdm(
                _loader(dataset, cfg, state.step_in_epoch, device, info),
                desc=f"epoch {epoch + 1}/{cfg.epochs}",
                unit="step",
                initial=state.step_in_epoch,
                total=cfg.steps_per_epoch,
                disable=None if progress else True,
                leave=False,
            )
            model.train()
            for image, target, params, case_class in bar:
                image = image.to(device, non_blocking=True)
                target = target.to(device, non_blocking=True)
                case_class = case_class.to(device, non_blocking=True)
                if params:
                    image, target = apply_augment(image, target, params)
                if cfg.channels_last:
                    image = image.contiguous(memory_format=torch.channels_last_3d)
                optimizer.zero_grad(set_to_none=True)
                with torch.autocast(
                    device.type, dtype=dtype or torch.float32, enabled=dtype is not None
                ):
                    outputs = forward(image)
                    outputs, class_logits = outputs if class_loss else (outputs, None)
                    if not cfg.deep_supervision and isinstance(outputs, list):
                        outputs = outputs[0]
                    loss = loss_fn(outputs, target)
                    if class_loss is not None:
                        loss = loss + class_loss(class_logits, case_class)
                scaler.scale(loss).backward()
                scaler.unscale_(optimizer)
                norm = nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
                # fp16's scaler skips non-finite steps itself; without it, one NaN gradient
                # would make every weight NaN (DDP's norm is of the all-reduced gradients, so
                # every rank decides alike)
                updated = scaler.is_enabled() or bool(torch.isfinite(norm))
                if updated:
                    scaler.step(optimizer)
                    skipped_in_a_row = 0
                else:
                    skipped_in_a_row = _skip_step(run, state, skipped_in_a_row, main)
                scaler.update()
                clock.seconds = state.train_seconds + time.perf_counter() - started
                if updated:
                    scheduler.step()
                else:  # the schedule counts a skipped step too (PyTorch warns if it came first)
                    with warnings.catch_warnings():
                        warnings.filterwarnings("ignore", "Detected call of `lr_scheduler.step")
                        scheduler.step()
                value = distributed.mean_over_ranks(float(loss.detach()), info)
                state.loss_sum += value if updated else 0.0
                state.step_in_epoch += 1
                state.global_step += 1
                bar.set_postfix(loss=f"{_mean_loss(state):.3f}")
                if writer is not None:
                    writer.add_scalar("train/loss", value, state.global_step)
                    writer.add_scalar(
                        "train/lr", optimizer.param_groups[0]["lr"], state.global_step
                    )
                if (
                    main
                    and cfg.checkpoint_every
                    and state.step_in_epoch % cfg.checkpoint_every == 0
                ):
                    save_checkpoint(
                        run.last, state_dict(cfg, model, optimizer, scheduler, scaler, state)
                    )
                if cfg.time_budget_s and distributed.any_rank(
                    state.train_seconds + time.perf_counter() - started > cfg.time_budget_s, info
                ):
                    budget_hit = True
                    break
            bar.close()
            state.train_seconds += time.perf_counter() - started
        state.epoch_done = True
        if main:
            val_classes = {c: case_classes[c] for c in val_ids if case_classes.get(c)}
            row = _end_epoch(
                cfg, run, model, val_ids, channels, device, state, optimizer, budget_hit,
                val_classes,
            )  # fmt: skip
            if writer is not None:
                for key, value in row.items():
                    if key.startswith("val_"):
                        writer.add_scalar(f"val/{key[4:]}", value, epoch + 1)
            save_checkpoint(run.last, state_dict(cfg, model, optimizer, scheduler, scaler, state))
            if progress:
                tqdm.write(_format_row(row))
        distributed.barrier(info)
        state = state.next_epoch()
    if writer is not None:
        writer.close()
    if main:
        if not run.best.exists():
            save_checkpoint(run.best, load_checkpoint(run.last))
        from smart_brains.reports.figures import plot_training_curves

        plot_training_curves(run.metrics, run.curves)
    return run


MAX_SKIPPED_IN_A_ROW = 20  # non-finite steps in a row before training stops


def _skip_step(run: RunDir, state: TrainState, in_a_row: int, main: bool) -> int:
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


def _mean_loss(state: TrainState) -> float:
    """Mean training loss of the epoch's updated steps (NaN if every step was skipped)."""
    updated = state.step_in_epoch - state.skipped_in_epoch
    if updated:
        return state.loss_sum / updated
    return float("nan") if state.skipped_in_epoch else 0.0


def _end_epoch(
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
        "train_loss": round(_mean_loss(state), 5),
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
            best = {
                "model": model.state_dict(),
                "config": config_to_dict(cfg),
                "state": dict(vars(state)),
            }
            save_checkpoint(run.best, best)
    write_metrics(run.metrics, row)
    return row


def _tensorboard(run: RunDir) -> Any:
    with contextlib.suppress(ImportError):
        from torch.utils.tensorboard import SummaryWriter

        return SummaryWriter(str(run.root / "tensorboard"))
    return None


def _format_row(row: dict[str, Any]) -> str:
    text = f"epoch {row['epoch']}: loss {row['train_loss']:.4f}"
    if "val_dice_mean" in row:
        text += "  val Dice " + " ".join(f"{r} {row[f'val_dice_{r}']:.3f}" for r in REGIONS)
    if "val_class_accuracy" in row:
        text += f"  val class accuracy {row['val_class_accuracy']:.3f}"
    return text + f"  ({row['train_seconds']} s of training)"
