"""Checkpoints: written atomically, loaded with ``weights_only=True`` (no code runs on load).

A checkpoint holds the model, optimiser and scheduler states, epoch, best metric, the torch RNG
state, the resolved config and the package version.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from smart_brains import __version__
from smart_brains.errors import DataError
from smart_brains.paths import atomic_path


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
