"""Which torch device a command runs on (one home for ``--device``), and starting it early."""

from __future__ import annotations

import importlib
import threading

import torch

from smart_brains.errors import DataError

# --precision: training takes fp16 too (with a gradient scaler); prediction auto, bf16, fp32
PRECISIONS = ("auto", "fp32", "bf16", "fp16")
PREDICT_PRECISIONS = ("auto", "bf16", "fp32")


def resolve_device(name: str) -> torch.device:
    """``auto`` (the GPU when PyTorch sees one, else the CPU), ``cpu``, ``cuda`` or ``cuda:N``;
    a DataError when CUDA is asked for and absent."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise DataError(f"--device {name}: CUDA is not available here; use --device cpu")
    return torch.device(name)


def autocast_dtype(
    precision: str, device: torch.device, cpu_bf16: bool = True
) -> torch.dtype | None:
    """The autocast dtype of forward passes for ``precision`` on ``device`` (None: float32).

    ``auto``: bfloat16 on a GPU, and (``cpu_bf16``) on a CPU with bfloat16 instructions
    (AVX512-BF16 or AMX, by oneDNN's own check), where prediction is about twice as fast; else
    float32. Training passes ``cpu_bf16=False``: on this CPU, bf16 training now and then gives
    one step non-finite gradients (3 of 8 short runs went NaN before the trainer skipped such
    steps; with or without ``--deterministic``), so CPU training is float32 unless
    ``--precision bf16`` asks for it."""
    if precision != "auto":
        return {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}[precision]
    if device.type == "cuda":
        return torch.bfloat16
    if not cpu_bf16:
        return None
    try:  # a private API, so guarded
        fast = bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        fast = False
    return torch.bfloat16 if fast else None


def start_in_background(name: str) -> None:
    """Start CUDA and load cuDNN's convolution kernels in a background thread (a second or two
    of a cold start), so that it overlaps the work before the first forward pass; nothing on a
    CPU. Failures are left for the real first use to report."""
    if name == "cpu" or not torch.cuda.is_available():
        return

    def start() -> None:
        try:
            device = resolve_device(name)
            x = torch.zeros((1, 1, 4, 4, 4), device=device)
            with torch.autocast("cuda", dtype=torch.bfloat16):
                torch.nn.functional.conv3d(x, torch.zeros((1, 1, 3, 3, 3), device=device))
        except Exception:  # noqa: BLE001 - a head start only; real problems surface later
            pass

    threading.Thread(target=start, daemon=True).start()


def import_in_background(*names: str) -> None:
    """Import modules needed later in a background thread, beside work that releases the GIL
    (a forward pass), instead of before the output that needs them."""

    def load() -> None:
        for name in names:
            try:
                importlib.import_module(name)
            except ImportError:  # the real import reports it
                pass

    threading.Thread(target=load, daemon=True).start()
