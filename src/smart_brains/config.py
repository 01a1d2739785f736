"""Run configuration: a frozen dataclass, loaded from YAML plus overrides, saved with every run."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from smart_brains.data.layouts import MODALITIES
from smart_brains.devices import PRECISIONS
from smart_brains.errors import DataError
from smart_brains.models.outputs import (
    LOSSES,
    CaseClassOutput,
    SegmentationOutput,
    output_for_loss,
)
from smart_brains.models.registry import PRESETS, has_case_head
from smart_brains.paths import write_text

OPTIMIZERS = ("adamw", "sgd")
# where augmentation runs: the data-loader workers, the training device, or auto (the device
# when it is a GPU, else the loader)
AUGMENT_ON = ("auto", "device", "loader")
# Patch and batch of each size preset when the config does not set them.
PRESET_PATCH_BATCH: dict[str, tuple[tuple[int, int, int], int]] = {
    "tiny": ((48, 48, 48), 2),
    "small": ((64, 64, 64), 2),
    "base": ((128, 128, 128), 2),
}


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
        optimizer: ``sgd`` (Nesterov, momentum 0.99, polynomial decay: nnU-Net) or ``adamw``
            (linear warm-up over ``warmup_fraction`` of the steps, then cosine to zero).
        lr: peak learning rate.
        weight_decay: L2 / decoupled weight decay.
        warmup_fraction: share of all steps used for AdamW's warm-up.
        grad_clip: maximum gradient norm.
        epochs: number of epochs.
        steps_per_epoch: optimiser steps per epoch (patch sampling, so epochs are nominal).
        batch_size: patches per step (None: the preset's, ``PRESET_PATCH_BATCH``).
        patch_size_vox: training patch size in voxels (None: the preset's).
        foreground_fraction: share of patches centred on a tumour voxel (nnU-Net: 1/3).
        augment: nnU-Net-strength augmentation (``training/augment.py``).
        acquisition_augment: on top of it, every modality its own acquisition (gamma, scale,
            shift, bias field, thick slices per channel), for data from many scanners.
        augment_on: where augmentation runs: ``auto`` (the training device when it is a GPU,
            else the loader workers), ``device`` or ``loader``.
        deep_supervision: train the coarser outputs of models that have them (weights 1/2^i).
        val_every: validate (full-volume sliding window) every N epochs.
        num_workers: data-loader worker processes.
        seed: seed of weights init, patch sampling and augmentation.
        device: ``auto`` (CUDA if available), ``cpu`` or ``cuda``.
        precision: ``auto`` (bf16 autocast on CUDA, fp32 on a CPU: ``devices.autocast_dtype``),
            ``fp32``, ``bf16``, ``fp16``.
        channels_last: use channels_last_3d memory format (1.4x faster steps on this CPU too).
        compile: wrap the model in ``torch.compile``.
        deterministic: deterministic algorithms (exact resume on CPU; slower on GPU).
        checkpoint_every: also write ``last.pt`` every N steps within an epoch (0: per epoch).
        time_budget_s: stop after this much training time, then validate (0: no limit).
        sw_overlap: sliding-window overlap at validation and prediction.
        class_target: train a case-class head jointly with the segmentation on this label
            column (``grade``, ``kind``...; empty: no head). Multiscale network only.
        labels: CSV of case labels for ``class_target`` (empty: the source dataset's
            ``labels.csv`` or the labels its layout carries, see ``data/case_labels.py``).
        class_weight: weight of the case-class cross entropy beside the segmentation loss.
        classes: the head's classes, resolved from the labels when training starts (saved).
        fold: train on fold ``fold`` of the cache's ``splits.json`` (``prepare --folds K``) and
            validate on its held-out cases; -1: the 80:20 split.
        spacing_mm: voxel size (mm, X, Y, Z) the run trains at: the cache's, recorded when
            training starts (``prepare --spacing``); predict resamples every case to it.
            None in runs made before it was recorded: predict then keeps each case's grid.
    """

    cache: str = ""
    name: str = "run"
    runs_dir: str = "runs"
    model: str = "multiscale"
    preset: str = "tiny"
    modalities: tuple[str, ...] = MODALITIES
    loss: str = "dice_bce"
    optimizer: str = "adamw"
    lr: float = 1e-2
    weight_decay: float = 1e-5
    warmup_fraction: float = 0.05
    grad_clip: float = 12.0
    epochs: int = 10
    steps_per_epoch: int = 50
    batch_size: int | None = None
    patch_size_vox: tuple[int, int, int] | None = None
    foreground_fraction: float = 0.33
    augment: bool = True
    acquisition_augment: bool = True
    augment_on: str = "auto"
    deep_supervision: bool = True
    val_every: int = 1
    num_workers: int = 0
    seed: int = 0
    device: str = "auto"
    precision: str = "auto"
    channels_last: bool = True
    compile: bool = False
    deterministic: bool = False
    checkpoint_every: int = 0
    time_budget_s: float = 0.0
    sw_overlap: float = 0.25
    class_target: str = ""
    labels: str = ""
    class_weight: float = 0.2
    classes: tuple[str, ...] = ()
    fold: int = -1
    spacing_mm: tuple[float, float, float] | None = None

    @property
    def output(self) -> SegmentationOutput:
        """What the segmentation head outputs (``models/outputs.py``), decided by the loss."""
        return output_for_loss(self.loss)

    @property
    def out_channels(self) -> int:
        return self.output.channels

    @property
    def case_output(self) -> CaseClassOutput | None:
        """The case-class head's output, once ``classes`` are resolved; None without a head."""
        if not (self.class_target and self.classes):
            return None
        return CaseClassOutput(self.class_target, tuple(self.classes), self.class_weight)

    def validate(self) -> TrainConfig:
        """Return self with preset defaults filled in, or raise DataError naming the first
        invalid field."""
        if self.preset not in PRESETS:
            raise DataError(f"--preset {self.preset}: choose from {', '.join(PRESETS)}")
        patch, batch = PRESET_PATCH_BATCH[self.preset]
        cfg = dataclasses.replace(
            self,
            patch_size_vox=tuple(self.patch_size_vox) if self.patch_size_vox else patch,
            batch_size=self.batch_size or batch,
        )
        return cfg._check()

    def _check(self) -> TrainConfig:
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
        if self.precision not in PRECISIONS:
            raise DataError(f"precision {self.precision}: choose from {', '.join(PRECISIONS)}")
        if self.class_target and not has_case_head(self.model):
            raise DataError(
                f"--target with --model {self.model}: that network has no case-class head; "
                "use --model multiscale (or `smart-brains classify`)"
            )
        if self.class_weight < 0:
            raise DataError(f"class_weight {self.class_weight}: must be >= 0")
        if self.augment_on not in AUGMENT_ON:
            raise DataError(f"augment_on {self.augment_on}: choose {', '.join(AUGMENT_ON)}")
        return self

    def augment_place(self, device_type: str) -> str:
        """Where this run augments on a ``device_type`` device: 'loader', 'device' or 'none'
        (``training.patches.PatchDataset``'s ``augment``)."""
        if not self.augment:
            return "none"
        if self.augment_on != "auto":
            return self.augment_on
        return "device" if device_type == "cuda" else "loader"


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
    write_text(path, yaml.safe_dump(config_to_dict(cfg), sort_keys=False))
