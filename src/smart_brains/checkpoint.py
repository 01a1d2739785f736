"""Checkpoints: every format, written atomically, loaded with ``weights_only=True`` (no code
runs on load). Below both training (which writes them) and inference (which reads them).

Formats (dicts; every one also holds the package ``version``):

- ``last.pt``, ``training_state``: ``model``, ``optimizer``, ``scheduler``, ``scaler`` state
  dicts, ``state`` (``training.state.TrainState`` as a dict), ``torch_rng``, ``cuda_rng`` and
  ``config`` (the resolved ``TrainConfig`` as a dict): everything a resume needs.
- ``best.pt``, ``weights_state``: ``model``, ``config`` and ``state``: what a prediction needs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn

from smart_brains import __version__
from smart_brains.config import TrainConfig, config_from_dict, config_to_dict
from smart_brains.errors import DataError
from smart_brains.paths import atomic_path


def training_state(
    cfg: TrainConfig,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    scaler: torch.amp.GradScaler,
    state: Any,
) -> dict[str, Any]:
    """The ``last.pt`` format: everything needed to resume training exactly."""
    return {
        **weights_state(cfg, model, state),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "scaler": scaler.state_dict(),
        "torch_rng": torch.get_rng_state(),
        "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }


def weights_state(cfg: TrainConfig, model: nn.Module, state: Any) -> dict[str, Any]:
    """The ``best.pt`` format: the weights, the config that builds their network, the state."""
    return {"model": model.state_dict(), "config": config_to_dict(cfg), "state": dict(vars(state))}


def load_weights(path: str | Path) -> tuple[dict[str, Any], TrainConfig]:
    """(state dict, config) of a checkpoint of either format, its tensors mapped from the file
    (``load_checkpoint(mmap=True)``): a prediction never reads the optimiser's state."""
    saved = load_checkpoint(path, mmap=True)
    return saved["model"], config_from_dict(saved["config"])


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    """Write ``state`` (+ version) to ``path`` via a temporary file and an atomic rename; a
    failed write (a full disk: torch reports it as a RuntimeError) leaves the previous
    checkpoint as it was and is a DataError naming the path."""
    try:
        with atomic_path(path) as tmp:
            torch.save({**state, "version": __version__}, tmp)
    except (OSError, RuntimeError) as exc:
        raise DataError(
            f"{path}: could not write the checkpoint ({str(exc).splitlines()[0]}); the previous "
            "one is kept: free disk space or train into another --runs-dir, then --resume"
        ) from None


def load_checkpoint(
    path: str | Path, map_location: str | torch.device = "cpu", mmap: bool = False
) -> dict[str, Any]:
    """Load a checkpoint safely; DataError if missing or unreadable.

    ``mmap``: tensors are mapped from the file and read when first used, so a prediction that
    needs only the weights never reads the optimiser's state (twice their size with AdamW).
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: checkpoint not found; train first or pass --model RUN_DIR")
    try:
        return torch.load(path, map_location=map_location, weights_only=True, mmap=mmap)
    except Exception as exc:
        if mmap:  # a file torch cannot map (saved in the legacy format): read it whole
            return load_checkpoint(path, map_location)
        raise DataError(
            f"{path}: not a readable smart-brains checkpoint ({type(exc).__name__})"
        ) from None
