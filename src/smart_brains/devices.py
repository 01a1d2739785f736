"""Which torch device a command runs on (one home for ``--device``)."""

from __future__ import annotations

import torch

from smart_brains.errors import DataError


def resolve_device(name: str) -> torch.device:
    """``auto`` (the GPU when PyTorch sees one, else the CPU), ``cpu``, ``cuda`` or ``cuda:N``;
    a DataError when CUDA is asked for and absent."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise DataError(f"--device {name}: CUDA is not available here; use --device cpu")
    return torch.device(name)
