"""fit(): patch training from the prepared cache, validation by sliding window, checkpoints.

A run folder (``paths.RunDir``) holds ``config.yaml``, ``metrics.csv``, ``checkpoints/last.pt``
(every epoch) and ``checkpoints/best.pt`` (best mean validation Dice), and the training curves.
"""

from __future__ import annotations

import csv
import time
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
from smart_brains.inference.sliding_window import predict_probabilities, probabilities_to_labels
from smart_brains.models.registry import build_model
from smart_brains.paths import RunDir
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
    "seconds",
]


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise DataError(f"--device {name}: CUDA is not available here; use --device cpu")
    return torch.device(name)


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


def build_scheduler(
    cfg: TrainConfig, optimizer: torch.optim.Optimizer
) -> torch.optim.lr_scheduler.LambdaLR:
    """Polynomial decay (exponent 0.9) per optimiser step over the whole run, as nnU-Net."""
    total = cfg.epochs * cfg.steps_per_epoch
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: (1 - min(step, total - 1) / total) ** 0.9
    )


def train_one_epoch(
    model: nn.Module,
    loader: DataLoader,
    loss_fn: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    device: torch.device,
    desc: str,
    progress: bool,
) -> float:
    """One pass over ``loader``; returns the mean loss."""
    model.train()
    losses = []
    bar = tqdm(loader, desc=desc, unit="step", disable=None if progress else True, leave=False)
    for image, target in bar:
        image, target = image.to(device, non_blocking=True), target.to(device, non_blocking=True)
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(image), target)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 12.0)
        optimizer.step()
        scheduler.step()
        losses.append(float(loss.detach()))
        bar.set_postfix(loss=f"{np.mean(losses[-20:]):.3f}")
    return float(np.mean(losses))


def validate(
    model: nn.Module,
    cfg: TrainConfig,
    case_ids: list[str],
    channels: list[int],
    device: torch.device,
) -> dict[str, float]:
    """Mean per-region Dice over ``case_ids``, full prepared volumes by sliding window."""
    scores: dict[str, list[float]] = {r: [] for r in REGIONS}
    for case_id in case_ids:
        case = open_case(cfg.cache, case_id)
        image = np.asarray(case.image[channels], dtype=np.float32)
        probs = predict_probabilities(
            model, image, cfg.patch_size_vox, cfg.target, cfg.sw_overlap, device
        )
        pred = labels_to_regions(probabilities_to_labels(probs, cfg.target))
        ref = labels_to_regions(np.asarray(case.label))
        for i, region in enumerate(REGIONS):
            scores[region].append(dice(pred[i], ref[i]))
    return {r: float(np.mean(v)) for r, v in scores.items()}


def _append_metrics(path: Path, row: dict[str, Any]) -> None:
    new = not path.exists()
    with path.open("a", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=METRIC_FIELDS)
        if new:
            writer.writeheader()
        writer.writerow({k: row.get(k, "") for k in METRIC_FIELDS})


def fit(cfg: TrainConfig, resume: bool = False, progress: bool = True) -> RunDir:
    """Train ``cfg.model`` on the cache's train split; returns the run folder.

    Args:
        cfg: resolved configuration (saved to the run folder and into every checkpoint).
        resume: continue from ``checkpoints/last.pt`` of the same run if it exists.
        progress: show progress bars.
    """
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
    run.create()
    save_config(cfg, run.config)
    device = resolve_device(cfg.device)

    torch.manual_seed(cfg.seed)
    model = build_model(cfg.model, cfg.preset, len(channels), cfg.out_channels).to(device)
    optimizer = build_optimizer(cfg, model)
    scheduler = build_scheduler(cfg, optimizer)
    start_epoch, best = 0, -1.0
    if resume and run.last.exists():
        state = load_checkpoint(run.last)
        saved = config_from_dict(state["config"])
        changed = [k for k in ARCHITECTURE_FIELDS if getattr(saved, k) != getattr(cfg, k)]
        if changed:
            raise DataError(
                f"{run.last}: cannot resume with a different {', '.join(changed)} "
                f"(saved: {', '.join(str(getattr(saved, k)) for k in changed)}); use a new --name"
            )
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        torch.set_rng_state(state["torch_rng"])
        start_epoch, best = state["epoch"] + 1, state["best_metric"]

    dataset = PatchDataset(
        cfg.cache, splits["train"], cfg.patch_size_vox, cfg.steps_per_epoch * cfg.batch_size,
        cfg.target, cfg.foreground_fraction, cfg.augment, cfg.seed, channels,
    )  # fmt: skip
    loss_fn = build_loss(cfg.loss)
    for epoch in range(start_epoch, cfg.epochs):
        started = time.perf_counter()
        dataset.set_epoch(epoch)
        loader = DataLoader(
            dataset, batch_size=cfg.batch_size, shuffle=False, num_workers=cfg.num_workers,
            pin_memory=device.type == "cuda",
        )  # fmt: skip
        lr = optimizer.param_groups[0]["lr"]
        loss = train_one_epoch(
            model,
            loader,
            loss_fn,
            optimizer,
            scheduler,
            device,
            f"epoch {epoch + 1}/{cfg.epochs}",
            progress,
        )
        row: dict[str, Any] = {"epoch": epoch + 1, "train_loss": round(loss, 5), "lr": lr}
        is_last = epoch + 1 == cfg.epochs
        if splits["val"] and ((epoch + 1) % cfg.val_every == 0 or is_last):
            scores = validate(model, cfg, splits["val"], channels, device)
            row.update({f"val_dice_{r}": round(v, 4) for r, v in scores.items()})
            row["val_dice_mean"] = round(float(np.mean(list(scores.values()))), 4)
        row["seconds"] = round(time.perf_counter() - started, 1)
        _append_metrics(run.metrics, row)
        state = {
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(),
            "epoch": epoch,
            "best_metric": best,
            "torch_rng": torch.get_rng_state(),
            "config": config_to_dict(cfg),
        }
        mean = row.get("val_dice_mean")
        if mean is not None and mean > best:
            best = state["best_metric"] = mean
            save_checkpoint(run.best, state)
        save_checkpoint(run.last, state)
        if progress:
            tqdm.write(_format_row(row))
    if not run.best.exists():
        save_checkpoint(run.best, load_checkpoint(run.last))
    from smart_brains.reports.figures import plot_training_curves

    plot_training_curves(run.metrics, run.curves)
    return run


def _format_row(row: dict[str, Any]) -> str:
    text = f"epoch {row['epoch']}: loss {row['train_loss']:.4f}"
    if "val_dice_mean" in row:
        text += "  val Dice " + " ".join(f"{r} {row[f'val_dice_{r}']:.3f}" for r in REGIONS)
    return text + f"  ({row['seconds']} s)"
