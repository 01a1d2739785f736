"""Building blocks: conv-norm-act, and the multiscale residual block.

Tensors are (B, C, X, Y, Z). Every block keeps the spatial size unless it has ``stride`` 2.
"""

from __future__ import annotations

import torch
from torch import nn

NORMS = ("instance", "group", "none")


def norm_layer(kind: str, channels: int) -> nn.Module:
    """Instance norm (nnU-Net), group norm (8 groups or fewer), or none (for geometry tests)."""
    if kind == "instance":
        return nn.InstanceNorm3d(channels, affine=True)
    if kind == "group":
        return nn.GroupNorm(min(8, channels), channels)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"unknown norm {kind!r}; choose from {NORMS}")


class ConvNormAct(nn.Sequential):
    """Conv3d (``kernel``, ``stride``, ``dilation``, 'same' padding) -> norm -> LeakyReLU(0.01)."""

    def __init__(
        self,
        in_ch: int,
        out_ch: int,
        kernel: int = 3,
        stride: int = 1,
        dilation: int = 1,
        norm: str = "instance",
        act: bool = True,
    ) -> None:
        self.kernel, self.stride, self.dilation = kernel, stride, dilation
        padding = dilation * (kernel - 1) // 2
        layers: list[nn.Module] = [
            nn.Conv3d(in_ch, out_ch, kernel, stride, padding, dilation, bias=norm == "none"),
            norm_layer(norm, out_ch),
        ]
        if act:
            layers.append(nn.LeakyReLU(0.01, inplace=True))
        super().__init__(*layers)


class MultiScaleBlock(nn.Module):
    """Parallel 3x3x3 branches with different dilations, fused, plus a residual connection.

    Each branch sees the same input through a different receptive field (dilation d widens a
    3^3 kernel to (2d + 1)^3 voxels), so local texture and wider context are extracted side by
    side. Branch outputs are concatenated, fused by a 1x1x1 conv, added to the input and
    activated: y = act(x + norm(fuse([branch_d(x) for d in dilations]))).

    Args:
        channels: input and output channels.
        dilations: one branch per dilation, e.g. (1, 2, 4).
        branch_channels: channels of each branch (default: channels // 2, at least 4).
        norm: 'instance', 'group' or 'none'.
    """

    def __init__(
        self,
        channels: int,
        dilations: tuple[int, ...] = (1, 2, 4),
        branch_channels: int | None = None,
        norm: str = "instance",
    ) -> None:
        super().__init__()
        width = branch_channels or max(4, channels // 2)
        self.dilations = tuple(dilations)
        self.branches = nn.ModuleList(
            ConvNormAct(channels, width, 3, 1, d, norm) for d in self.dilations
        )
        self.fuse = ConvNormAct(width * len(self.dilations), channels, 1, norm=norm, act=False)
        self.act = nn.LeakyReLU(0.01, inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.act(x + self.fuse(torch.cat([branch(x) for branch in self.branches], dim=1)))
