"""Checkpoints: every format, written atomically, loaded with ``weights_only=True`` (no code
runs on load). Below both training (which writes them) and inference (which reads them).

Formats (dicts; every one also holds the package ``version``):

- ``last.pt``, ``training_state``: ``model``, ``optimizer``, ``scheduler``, ``scaler`` state
  dicts, ``state`` (``training.state.TrainState`` as a dict), ``torch_rng``, ``cuda_rng`` and
  ``config`` (the resolved ``TrainConfig`` as a dict): everything a resume needs.
- ``best.pt``, ``weights_state``: ``model``, ``config`` and ``state``: what a prediction needs.
- a packaged model, ``save_packaged``: a ``.safetensors`` file (tensors only, float16 to halve
  it; nothing executes on load) whose metadata holds the config, the tuned post-processing
  and a description (what it was trained on, its measured Dice). The package ships them in
  ``smart_brains/weights/``; ``packaged_models`` lists them, ``load_weights`` reads them too.
"""

from __future__ import annotations

import json
import os
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
    """(state dict, config) of a checkpoint of any format, its tensors mapped from the file
    (``load_checkpoint(mmap=True)``): a prediction never reads the optimiser's state. A
    ``.safetensors`` file is a packaged model (float32 weights back from float16)."""
    if Path(path).suffix == ".safetensors":
        tensors, meta = read_packaged(path)
        return {k: v.float() for k, v in tensors.items()}, config_from_dict(meta["config"])
    saved = load_checkpoint(path, mmap=True)
    return saved["model"], config_from_dict(saved["config"])


WEIGHTS_DIR = Path(__file__).parent / "weights"
DEFAULT_MODEL = "glioma-v3"  # the packaged model ``predict`` uses without --model


def save_packaged(
    path: Path, model: dict[str, torch.Tensor], cfg: TrainConfig, info: dict[str, Any]
) -> Path:
    """Write weights (float16), config and ``info`` (a JSON-able description; with
    ``min_voxels`` the tuned post-processing) as one ``.safetensors`` file, atomically."""
    from safetensors.torch import save_file

    tensors = {k: v.detach().to(torch.float16).contiguous() for k, v in model.items()}
    meta = {
        "config": json.dumps(config_to_dict(cfg)),
        "info": json.dumps(info),
        "version": __version__,
    }
    with atomic_path(Path(path)) as tmp:
        save_file(tensors, str(tmp), metadata=meta)
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o666 & ~umask)  # as any file the user writes: safetensors leaves it 0600
    return Path(path)


def read_packaged(path: str | Path) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """(tensors, {"config", "info", "version"}) of a packaged model; DataError naming the file
    when it is missing or not one."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file, safe_open

    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: packaged model not found; `smart-brains models` lists them")
    try:
        with safe_open(str(path), "pt") as f:
            raw = f.metadata() or {}
        meta = {k: json.loads(raw[k]) for k in ("config", "info")}
        meta["version"] = raw.get("version", "")
        return load_file(str(path)), meta
    except (SafetensorError, KeyError, ValueError, OSError) as exc:
        raise DataError(
            f"{path}: not a smart-brains packaged model ({type(exc).__name__}); reinstall the "
            "package or pass --model RUN_DIR"
        ) from None


def packaged_models() -> dict[str, Path]:
    """Name -> file of every model shipped in ``smart_brains/weights/``."""
    return {p.stem: p for p in sorted(WEIGHTS_DIR.glob("*.safetensors"))}


def packaged_path(name: str) -> Path:
    """The file of packaged model ``name``; a DataError listing them when there is none."""
    found = packaged_models()
    if name not in found:
        have = ", ".join(found) or "none in this install"
        raise DataError(f"no packaged model {name!r} (packaged: {have}); pass --model RUN_DIR")
    return found[name]


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
