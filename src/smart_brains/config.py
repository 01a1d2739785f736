"""Run configuration: a frozen dataclass, loaded from YAML plus overrides, saved with every run."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from smart_brains.data.layouts import MODALITIES
from smart_brains.errors import DataError

LOSSES = ("dice_bce", "dice", "bce", "ce", "dice_ce")
LABEL_LOSSES = ("ce", "dice_ce")  # these train a 4-label softmax head; the rest 3 region sigmoids
OPTIMIZERS = ("adamw", "sgd")


@dataclass(frozen=True)
class TrainConfig:
    """Everything a training run depends on.

    Attributes:
        cache: prepared cache folder (``smart-brains prepare``).
        name: run name; the run lives in ``runs_dir/name``.
        runs_dir: parent folder of runs.
        model: registered architecture name (``smart-brains models``).
        preset: model size preset, ``tiny`` (CPU) or ``base`` (GPU).
        modalities: input channels, canonical order; a subset of t1, t1ce, t2, flair.
        loss: one of LOSSES; region losses train sigmoid outputs WT/TC/ET, label losses a
            softmax over background, NCR/NET, ED, ET.
        optimizer: ``adamw`` or ``sgd`` (Nesterov, momentum 0.99, as nnU-Net).
        lr: peak learning rate; decays polynomially (exponent 0.9) to zero over the run.
        weight_decay: L2 / decoupled weight decay.
        epochs: number of epochs.
        steps_per_epoch: optimiser steps per epoch (patch sampling, so epochs are nominal).
        batch_size: patches per step.
        patch_size_vox: training patch size, voxels.
        foreground_fraction: share of patches centred on a tumour voxel.
        augment: random flips, intensity scale/shift and noise.
        val_every: validate (full-volume sliding window) every N epochs.
        num_workers: data-loader worker processes.
        seed: seed of weights init and patch sampling.
        device: ``auto`` (CUDA if available), ``cpu`` or ``cuda``.
        sw_overlap: sliding-window overlap at validation and prediction.
    """

    cache: str = ""
    name: str = "run"
    runs_dir: str = "runs"
    model: str = "unet"
    preset: str = "tiny"
    modalities: tuple[str, ...] = MODALITIES
    loss: str = "dice_bce"
    optimizer: str = "adamw"
    lr: float = 3e-3
    weight_decay: float = 1e-5
    epochs: int = 10
    steps_per_epoch: int = 50
    batch_size: int = 2
    patch_size_vox: tuple[int, int, int] = (64, 64, 64)
    foreground_fraction: float = 0.33
    augment: bool = True
    val_every: int = 1
    num_workers: int = 0
    seed: int = 0
    device: str = "auto"
    sw_overlap: float = 0.25

    @property
    def target(self) -> str:
        """'labels' for softmax losses, 'regions' otherwise."""
        return "labels" if self.loss in LABEL_LOSSES else "regions"

    @property
    def out_channels(self) -> int:
        return 4 if self.target == "labels" else 3

    def validate(self) -> TrainConfig:
        """Return self, or raise DataError naming the first invalid field."""
        if self.loss not in LOSSES:
            raise DataError(f"--loss {self.loss}: choose from {', '.join(LOSSES)}")
        if self.optimizer not in OPTIMIZERS:
            raise DataError(f"--optimizer {self.optimizer}: choose from {', '.join(OPTIMIZERS)}")
        if not self.modalities or any(m not in MODALITIES for m in self.modalities):
            raise DataError(
                f"--modalities {','.join(self.modalities)}: choose from {', '.join(MODALITIES)}"
            )
        for name in ("epochs", "steps_per_epoch", "batch_size", "val_every"):
            if getattr(self, name) < 1:
                raise DataError(f"{name} = {getattr(self, name)}: must be >= 1")
        if not self.lr > 0:
            raise DataError(f"--lr {self.lr}: must be positive")
        return self


def _coerce(cls: type, values: dict[str, Any]) -> dict[str, Any]:
    known = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise DataError(f"unknown config key(s) {', '.join(unknown)}; known: {', '.join(known)}")
    out = {}
    for key, value in values.items():
        if isinstance(value, list):
            value = tuple(value)
        out[key] = value
    return out


def load_config(path: str | Path | None = None, **overrides: Any) -> TrainConfig:
    """TrainConfig from an optional YAML file, then ``overrides`` (None values ignored)."""
    values: dict[str, Any] = {}
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise DataError(f"{path}: config file not found")
        try:
            values = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as exc:
            raise DataError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
        if not isinstance(values, dict):
            raise DataError(f"{path}: expected a mapping of config keys")
    values.update({k: v for k, v in overrides.items() if v is not None})
    return TrainConfig(**_coerce(TrainConfig, values)).validate()


def config_to_dict(cfg: TrainConfig) -> dict[str, Any]:
    """Plain JSON/YAML-able dict (tuples as lists)."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(cfg).items()}


def config_from_dict(values: dict[str, Any]) -> TrainConfig:
    return TrainConfig(**_coerce(TrainConfig, values))


def save_config(cfg: TrainConfig, path: Path) -> None:
    path.write_text(yaml.safe_dump(config_to_dict(cfg), sort_keys=False))
