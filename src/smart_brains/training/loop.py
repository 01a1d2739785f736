"""fit(): patch training from the prepared cache, validation, checkpoints.

Optimiser and schedule live in ``schedule.py``, checkpoint state and metrics in ``state.py``,
validation in ``validation.py``, the end of an epoch in ``epoch.py`` and the checkpoint formats
in ``smart_brains/checkpoint.py``; this module runs the loop: ``_setup`` builds a run,
``_train_epoch`` runs its steps (``_train_step`` each), ``_close_epoch`` validates and saves. With ``class_target`` the
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader
from tqdm import tqdm

from smart_brains.checkpoint import (
    load_checkpoint,
    save_checkpoint,
    training_state,
)
from smart_brains.config import TrainConfig, save_config
from smart_brains.data.cache import cache_spacing, channel_indices, read_index
from smart_brains.data.case_labels import load_labels
from smart_brains.data.splits import load_splits, split_ids
from smart_brains.devices import autocast_dtype, resolve_device
from smart_brains.errors import DataError
from smart_brains.models.registry import build_model
from smart_brains.paths import RunDir
from smart_brains.reports.figures import plot_training_curves
from smart_brains.training import distributed
from smart_brains.training.augment import apply_augment
from smart_brains.training.epoch import end_epoch, format_row, mean_loss, skip_step
from smart_brains.training.losses import CaseClassLoss, build_loss
from smart_brains.training.patches import PatchDataset
from smart_brains.training.schedule import (
    Clock,
    build_optimizer,
    build_scheduler,
    lr_factor,
    run_progress,
)
from smart_brains.training.state import TrainState, restore
from smart_brains.training.validation import validate

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
    labels = load_labels(
        Path(index["source"]), cfg.class_target, index["cases"], cfg.labels or None
    )
    if cfg.classes and tuple(cfg.classes) != tuple(labels.classes):
        raise DataError(
            f"{cfg.class_target}: the labels give classes {', '.join(labels.classes)}, the run "
            f"was started with {', '.join(cfg.classes)}; use a new --name"
        )
    return dataclasses.replace(cfg, classes=tuple(labels.classes)), labels.values


@dataclass
class _Training:
    """What one run holds while it trains (``_setup`` builds it; rank 0 alone has a writer)."""

    cfg: TrainConfig
    run: RunDir
    info: distributed.DistInfo
    device: torch.device
    model: nn.Module
    forward: Any  # the model as the step calls it: DDP-wrapped, compiled
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    scaler: torch.amp.GradScaler
    clock: Clock
    dtype: torch.dtype | None
    dataset: PatchDataset
    loss_fn: nn.Module
    class_loss: CaseClassLoss | None
    state: TrainState
    val_ids: list[str]
    channels: list[int]
    case_classes: dict[str, str]
    writer: Any = None
    skipped_in_a_row: int = 0

    @property
    def main(self) -> bool:
        return self.info.is_main  # only rank 0 writes files, logs and validates

    def save_last(self) -> None:
        save_checkpoint(
            self.run.last,
            training_state(
                self.cfg, self.model, self.optimizer, self.scheduler, self.scaler, self.state
            ),
        )


def _fit(cfg: TrainConfig, resume: bool, progress: bool, info: distributed.DistInfo) -> RunDir:
    t = _setup(cfg, resume, info)
    budget_hit = False
    while t.state.epoch < t.cfg.epochs and not budget_hit:
        if not t.state.epoch_done:
            budget_hit = _train_epoch(t, progress)
        t.state.epoch_done = True
        if t.main:
            _close_epoch(t, budget_hit, progress)
        distributed.barrier(info)
        t.state = t.state.next_epoch()
    if t.writer is not None:
        t.writer.close()
    if t.main:
        if not t.run.best.exists():
            save_checkpoint(t.run.best, load_checkpoint(t.run.last))
        plot_training_curves(t.run.metrics, t.run.curves)
    return t.run


def _setup(cfg: TrainConfig, resume: bool, info: distributed.DistInfo) -> _Training:
    """Split, run folder, device, model, optimiser, schedule, data and losses of a run; the
    state of its last checkpoint with ``resume``."""
    index = read_index(cfg.cache)
    train_ids, val_ids = split_ids(cfg.cache, cfg.fold)
    channels = channel_indices(index["modalities"], cfg.modalities, cfg.cache)
    if not train_ids:
        raise DataError(f"{cfg.cache}: no labelled training cases; training needs *_seg files")
    cfg, case_classes = resolve_case_classes(cfg, index)
    cfg = dataclasses.replace(cfg, spacing_mm=_cache_spacing(cfg, index))
    run = RunDir(Path(cfg.runs_dir) / cfg.name)
    if run.last.exists() and not resume:
        raise DataError(
            f"{run.root}: a run of this name exists; pass --resume to continue it or choose another --name"
        )
    if info.is_main:
        run.create()
        save_config(cfg, run.config)
        if info.enabled:
            tqdm.write(distributed.describe(info))
    distributed.barrier(info)
    device = _training_device(cfg, info)
    torch.manual_seed(cfg.seed)
    case_output = cfg.case_output
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
    dataset = PatchDataset(
        cfg.cache, train_ids, cfg.patch_size_vox, cfg.steps_per_epoch * cfg.batch_size * info.world_size,
        cfg.output, cfg.foreground_fraction, cfg.augment_place(device.type), cfg.seed, channels,
        [case_output.encode(case_classes[c]) for c in train_ids] if case_output else None,
        cfg.acquisition_augment,
    )  # fmt: skip
    return _Training(
        cfg, run, info, device, model, torch.compile(forward) if cfg.compile else forward,
        optimizer, scheduler, scaler, clock, dtype, dataset, build_loss(cfg.loss),
        CaseClassLoss(case_output.weight) if case_output else None, state, val_ids, channels,
        case_classes, _tensorboard(run) if info.is_main else None,
    )  # fmt: skip


def _cache_spacing(cfg: TrainConfig, index: dict[str, Any]) -> tuple[float, float, float] | None:
    """The voxel size of the cache (recorded by ``prepare``; caches made before: the median of
    their cases' affines), which the run records as the spacing it trains at."""
    spacing = index.get("spacing_mm") or cache_spacing(Path(cfg.cache), index["cases"])
    return tuple(float(v) for v in spacing) if spacing else None


def _training_device(cfg: TrainConfig, info: distributed.DistInfo) -> torch.device:
    """The run's device (this rank's GPU under DDP), with cuDNN set for determinism or speed."""
    device = resolve_device(cfg.device)
    if device.type == "cuda" and info.enabled:
        device = torch.device("cuda", info.local_rank)
    if cfg.deterministic:
        torch.use_deterministic_algorithms(True)
        torch.backends.cudnn.benchmark = False
    elif device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    return device


def _train_epoch(t: _Training, progress: bool) -> bool:
    """The rest of the current epoch's steps; True when the time budget stopped it."""
    cfg, state = t.cfg, t.state
    started = time.perf_counter()
    t.dataset.set_epoch(state.epoch)
    bar = tqdm(
        _loader(t.dataset, cfg, state.step_in_epoch, t.device, t.info),
        desc=f"epoch {state.epoch + 1}/{cfg.epochs}", unit="step", initial=state.step_in_epoch,
        total=cfg.steps_per_epoch, disable=None if progress else True, leave=False,
    )  # fmt: skip
    t.model.train()
    budget_hit = False
    for batch in bar:
        value, updated = _train_step(t, *batch)
        t.clock.seconds = state.train_seconds + time.perf_counter() - started
        if updated:
            t.scheduler.step()
        else:  # the schedule counts a skipped step too (PyTorch warns if it came first)
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", "Detected call of `lr_scheduler.step")
                t.scheduler.step()
        state.loss_sum += value if updated else 0.0
        state.step_in_epoch += 1
        state.global_step += 1
        bar.set_postfix(loss=f"{mean_loss(state):.3f}")
        if t.writer is not None:
            t.writer.add_scalar("train/loss", value, state.global_step)
            t.writer.add_scalar("train/lr", t.optimizer.param_groups[0]["lr"], state.global_step)
        if t.main and cfg.checkpoint_every and state.step_in_epoch % cfg.checkpoint_every == 0:
            t.save_last()
        if cfg.time_budget_s and distributed.any_rank(
            state.train_seconds + time.perf_counter() - started > cfg.time_budget_s, t.info
        ):
            budget_hit = True
            break
    bar.close()
    state.train_seconds += time.perf_counter() - started
    return budget_hit


def _train_step(
    t: _Training,
    image: torch.Tensor,
    target: torch.Tensor,
    params: dict,
    case_class: torch.Tensor,
) -> tuple[float, bool]:
    """One optimiser step on a batch; returns its loss (mean over ranks) and whether the
    weights were updated (a step whose gradients are not finite is skipped)."""
    cfg, device = t.cfg, t.device
    image = image.to(device, non_blocking=True)
    target = target.to(device, non_blocking=True)
    case_class = case_class.to(device, non_blocking=True)
    if params:
        image, target = apply_augment(image, target, params)
    if cfg.channels_last:
        image = image.contiguous(memory_format=torch.channels_last_3d)
    t.optimizer.zero_grad(set_to_none=True)
    with torch.autocast(device.type, dtype=t.dtype or torch.float32, enabled=t.dtype is not None):
        outputs = t.forward(image)
        outputs, class_logits = outputs if t.class_loss else (outputs, None)
        if not cfg.deep_supervision and isinstance(outputs, list):
            outputs = outputs[0]
        loss = t.loss_fn(outputs, target)
        if t.class_loss is not None:
            loss = loss + t.class_loss(class_logits, case_class)
    t.scaler.scale(loss).backward()
    t.scaler.unscale_(t.optimizer)
    norm = nn.utils.clip_grad_norm_(t.model.parameters(), cfg.grad_clip)
    # fp16's scaler skips non-finite steps itself; without it, one NaN gradient would make
    # every weight NaN (DDP's norm is of the all-reduced gradients, so every rank decides alike)
    updated = t.scaler.is_enabled() or bool(torch.isfinite(norm))
    if updated:
        t.scaler.step(t.optimizer)
        t.skipped_in_a_row = 0
    else:
        t.skipped_in_a_row = skip_step(t.run, t.state, t.skipped_in_a_row, t.main)
    t.scaler.update()
    return distributed.mean_over_ranks(float(loss.detach()), t.info), updated


def _close_epoch(t: _Training, last: bool, progress: bool) -> None:
    """Rank 0 at the end of an epoch: validation, metrics row, TensorBoard, checkpoints."""
    val_classes = {c: t.case_classes[c] for c in t.val_ids if t.case_classes.get(c)}
    row = end_epoch(
        t.cfg, t.run, t.model, t.val_ids, t.channels, t.device, t.state, t.optimizer, last,
        val_classes,
    )  # fmt: skip
    if t.writer is not None:
        for key, value in row.items():
            if key.startswith("val_"):
                t.writer.add_scalar(f"val/{key[4:]}", value, t.state.epoch + 1)
    t.save_last()
    if progress:
        tqdm.write(format_row(row))


def _tensorboard(run: RunDir) -> Any:
    with contextlib.suppress(ImportError):
        from torch.utils.tensorboard import SummaryWriter

        return SummaryWriter(str(run.root / "tensorboard"))
    return None
