"""fit(): patch training from the prepared cache, validation by sliding window, checkpoints.

A run folder (``paths.RunDir``) holds ``config.yaml``, ``metrics.csv``, ``tensorboard/``,
``checkpoints/last.pt`` (every epoch, and every ``checkpoint_every`` steps) and
``checkpoints/best.pt`` (best mean validation Dice), and ``training_curves.png``.

Every random choice of a step derives from (seed, epoch, index), and checkpoints hold the
step within the epoch, so ``resume`` continues exactly where a killed run stopped.
"""

from __future__ import annotations

import contextlib
import csv
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader
from tqdm import tqdm

from smart_brains.config import TrainConfig, config_from_dict, config_to_dict, save_config
from smart_brains.data.cache import open_case, read_index
from smart_brains.data.labels import REGIONS, labels_to_regions
from smart_brains.data.splits import load_splits
from smart_brains.errors import DataError
from smart_brains.evaluation.metrics import dice
from smart_brains.inference.sliding_window import predict_probabilities
from smart_brains.models.registry import build_model
from smart_brains.paths import RunDir, atomic_path
from smart_brains.training import distributed
from smart_brains.training.augment import apply_augment
from smart_brains.training.checkpoint import load_checkpoint, save_checkpoint
from smart_brains.training.losses import build_loss
from smart_brains.training.patches import PatchDataset

ARCHITECTURE_FIELDS = ("model", "preset", "modalities", "loss")  # a resumed run must keep these
METRIC_FIELDS = [
    "epoch",
    "train_loss",
    "lr",
    *[f"val_dice_{r}" for r in REGIONS],
    "val_dice_mean",
    "train_seconds",
]


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise DataError(f"--device {name}: CUDA is not available here; use --device cpu")
    return torch.device(name)


def autocast_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype for ``precision`` on ``device`` (None: full fp32)."""
    if precision == "auto":
        return torch.bfloat16 if device.type == "cuda" else None
    return {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}[precision]


def channel_indices(cache_modalities: list[str], wanted: tuple[str, ...], cache: str) -> list[int]:
    missing = [m for m in wanted if m not in cache_modalities]
    if missing:
        raise DataError(
            f"{cache}: cache holds {','.join(cache_modalities)}, not {','.join(missing)}; "
            "prepare again with those --modalities"
        )
    return [cache_modalities.index(m) for m in wanted]


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
class _Clock:
    """Training seconds so far, read by the learning-rate schedule of time-budgeted runs."""

    seconds: float = 0.0


@dataclass
class TrainState:
    """What a checkpoint restores, besides the weights."""

    epoch: int = 0  # current epoch (0-based)
    step_in_epoch: int = 0  # optimiser steps done in ``epoch``
    global_step: int = 0
    loss_sum: float = 0.0  # training loss summed over the steps of ``epoch`` so far
    epoch_done: bool = False  # validation and metrics of ``epoch`` written
    best_metric: float = -1.0
    train_seconds: float = 0.0

    def next_epoch(self) -> TrainState:
        """The state at the start of the following epoch."""
        return TrainState(
            epoch=self.epoch + 1, global_step=self.global_step, best_metric=self.best_metric,
            train_seconds=self.train_seconds,
        )  # fmt: skip


def _state_dict(
    cfg: TrainConfig,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    scaler: torch.amp.GradScaler,
    state: TrainState,
) -> dict[str, Any]:
    return {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "scaler": scaler.state_dict(),
        "state": dict(vars(state)),
        "torch_rng": torch.get_rng_state(),
        "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "config": config_to_dict(cfg),
    }


def _write_metrics(path: Path, row: dict[str, Any]) -> None:
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


@torch.no_grad()
def validate(
    model: nn.Module,
    cfg: TrainConfig,
    case_ids: list[str],
    channels: list[int],
    device: torch.device,
) -> dict[str, float]:
    """Mean per-region Dice over ``case_ids``, full prepared volumes by sliding window."""
    scores: dict[str, list[float]] = {r: [] for r in REGIONS}
    dtype = autocast_dtype(cfg.precision, device)
    for case_id in case_ids:
        case = open_case(cfg.cache, case_id)
        image = np.asarray(case.image[channels], dtype=np.float32)
        with torch.autocast(device.type, dtype=dtype or torch.float32, enabled=dtype is not None):
            probs = predict_probabilities(
                model, image, cfg.patch_size_vox, cfg.output, cfg.sw_overlap, device
            )
        pred = labels_to_regions(cfg.output.decode(probs))
        ref = labels_to_regions(np.asarray(case.label))
        for i, region in enumerate(REGIONS):
            scores[region].append(dice(pred[i], ref[i]))
    return {r: float(np.mean(v)) for r, v in scores.items()}


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


def _fit(cfg: TrainConfig, resume: bool, progress: bool, info: distributed.DistInfo) -> RunDir:
    index = read_index(cfg.cache)
    splits = load_splits(Path(cfg.cache) / "splits.json")
    channels = channel_indices(index["modalities"], cfg.modalities, cfg.cache)
    if not splits["train"]:
        raise DataError(f"{cfg.cache}: no labelled training cases; training needs *_seg files")
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
    model = build_model(cfg.model, cfg.preset, len(channels), cfg.out_channels).to(device)
    if device.type == "cuda" and cfg.channels_last:
        model = model.to(memory_format=torch.channels_last_3d)
    optimizer = build_optimizer(cfg, model)
    clock = _Clock()
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: lr_factor(cfg, run_progress(cfg, step, clock.seconds))
    )
    dtype = autocast_dtype(cfg.precision, device)
    scaler = torch.amp.GradScaler(device.type, enabled=dtype == torch.float16)
    state = TrainState()
    if resume and run.last.exists():
        state = _restore(run, cfg, model, optimizer, scheduler, scaler)
    forward = distributed.wrap(model, info, device)
    forward = torch.compile(forward) if cfg.compile else forward

    augment_on = (
        cfg.augment_on
        if cfg.augment_on != "auto"
        else ("device" if device.type == "cuda" else "loader")
    )
    dataset = PatchDataset(
        cfg.cache, splits["train"], cfg.patch_size_vox, cfg.steps_per_epoch * cfg.batch_size * info.world_size,
        cfg.output, cfg.foreground_fraction, augment_on if cfg.augment else "none", cfg.seed, channels,
    )  # fmt: skip
    loss_fn = build_loss(cfg.loss)
    writer = _tensorboard(run) if main else None
    budget_hit = False
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
            for image, target, params in bar:
                image = image.to(device, non_blocking=True)
                target = target.to(device, non_blocking=True)
                if params:
                    image, target = apply_augment(image, target, params)
                if device.type == "cuda" and cfg.channels_last:
                    image = image.contiguous(memory_format=torch.channels_last_3d)
                optimizer.zero_grad(set_to_none=True)
                with torch.autocast(
                    device.type, dtype=dtype or torch.float32, enabled=dtype is not None
                ):
                    outputs = forward(image)
                    if not cfg.deep_supervision and isinstance(outputs, list):
                        outputs = outputs[0]
                    loss = loss_fn(outputs, target)
                scaler.scale(loss).backward()
                scaler.unscale_(optimizer)
                nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
                scaler.step(optimizer)
                scaler.update()
                clock.seconds = state.train_seconds + time.perf_counter() - started
                scheduler.step()
                value = distributed.mean_over_ranks(float(loss.detach()), info)
                state.loss_sum += value
                state.step_in_epoch += 1
                state.global_step += 1
                bar.set_postfix(loss=f"{state.loss_sum / state.step_in_epoch:.3f}")
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
                        run.last, _state_dict(cfg, model, optimizer, scheduler, scaler, state)
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
            row = _end_epoch(
                cfg, run, model, splits["val"], channels, device, state, optimizer, budget_hit
            )
            if writer is not None:
                for key, value in row.items():
                    if key.startswith("val_dice"):
                        writer.add_scalar(f"val/{key[4:]}", value, epoch + 1)
            save_checkpoint(run.last, _state_dict(cfg, model, optimizer, scheduler, scaler, state))
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
) -> dict[str, Any]:
    """Validate if due, write the metrics row and the best checkpoint."""
    epoch = state.epoch
    row: dict[str, Any] = {
        "epoch": epoch + 1,
        "train_loss": round(state.loss_sum / max(state.step_in_epoch, 1), 5),
        "lr": optimizer.param_groups[0]["lr"],
        "train_seconds": round(state.train_seconds, 1),
    }
    if val_ids and ((epoch + 1) % cfg.val_every == 0 or epoch + 1 == cfg.epochs or last):
        scores = validate(model, cfg, val_ids, channels, device)
        row.update({f"val_dice_{r}": round(v, 4) for r, v in scores.items()})
        row["val_dice_mean"] = round(float(np.mean(list(scores.values()))), 4)
        if row["val_dice_mean"] > state.best_metric:
            state.best_metric = row["val_dice_mean"]
            best = {
                "model": model.state_dict(),
                "config": config_to_dict(cfg),
                "state": dict(vars(state)),
            }
            save_checkpoint(run.best, best)
    _write_metrics(run.metrics, row)
    return row


def _restore(
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


def _tensorboard(run: RunDir) -> Any:
    with contextlib.suppress(ImportError):
        from torch.utils.tensorboard import SummaryWriter

        return SummaryWriter(str(run.root / "tensorboard"))
    return None


def _format_row(row: dict[str, Any]) -> str:
    text = f"epoch {row['epoch']}: loss {row['train_loss']:.4f}"
    if "val_dice_mean" in row:
        text += "  val Dice " + " ".join(f"{r} {row[f'val_dice_{r}']:.3f}" for r in REGIONS)
    return text + f"  ({row['train_seconds']} s of training)"
