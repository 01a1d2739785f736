"""``smart-brains model-info NAME``: parameters, FLOPs for a 128^3 patch, receptive fields."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch.utils.flop_counter import FlopCounterMode

from smart_brains.models.geometry import BranchField, Field
from smart_brains.models.registry import build_model


@dataclass(frozen=True)
class ModelInfo:
    name: str
    preset: str
    parameters: int
    gflops: float  # forward pass, one (1, C, *patch) input
    patch_vox: tuple[int, int, int]
    branches: list[BranchField]
    output_field: Field | None


def model_info(
    name: str,
    preset: str,
    in_channels: int = 4,
    out_channels: int = 3,
    patch_vox: tuple[int, int, int] = (128, 128, 128),
) -> ModelInfo:
    """Count parameters and forward FLOPs (on the meta device: no memory, no compute)."""
    with torch.device("meta"):
        model = build_model(name, preset, in_channels, out_channels).eval()
        with FlopCounterMode(display=False) as counter:
            model(torch.zeros(1, in_channels, *patch_vox))
    params = sum(p.numel() for p in model.parameters())
    spec = getattr(model, "spec", None)
    branches, field = spec.fields() if spec is not None else ([], None)
    return ModelInfo(
        name, preset, params, counter.get_total_flops() / 1e9, patch_vox, branches, field
    )


def format_info(info: ModelInfo) -> str:
    lines = [
        f"model {info.name}:{info.preset}",
        f"parameters: {info.parameters:,}",
        f"forward FLOPs, 1 x C x {'x'.join(map(str, info.patch_vox))}: {info.gflops:.1f} G",
    ]
    if info.output_field is None:
        lines.append("receptive fields: computed for the multiscale family only")
        return "\n".join(lines)
    lines.append(f"receptive field of the output: {info.output_field.rf_vox} voxels per axis")
    lines.append("receptive field per branch (voxels per axis; jump = input voxels per position):")
    lines.append("  where    stage block dilation   rf  jump")
    for b in info.branches:
        lines.append(
            f"  {b.where:<8} {b.stage:>5} {b.block:>5} {b.dilation:>8} {b.rf_vox:>4} {b.jump_vox:>5}"
        )
    return "\n".join(lines)
