"""The multiscale 3D network: an encoder-decoder whose every stage sees several scales at once.

DeepMedic and Havaei's two-path CNN gave a network a local and a wide-context pathway. Here
the same idea lives inside a modern residual U-Net: every block runs parallel 3^3 branches with
dilations (1, 2, 4), so each stage extracts local texture and wider context side by side, the
encoder's down-sampling adds coarser scales, and deep-supervision heads train the decoder at
every scale. Receptive fields come from ``geometry.multiscale_fields``.

Input (B, C, X, Y, Z) float32, C = 1..4 z-scored modalities (any size: padded internally to a
multiple of ``size_divisor`` and cropped back). Output logits (B, K, X, Y, Z); in training mode
with deep supervision, a list [full, 1/2, 1/4, ...] of logits at decreasing resolution.

With ``n_classes`` > 0 a case-level head (dropout, linear) reads the bottleneck's features,
pooled over space by mean and maximum: in training ``forward`` returns (segmentation, class logits (B, n_classes))
so one pass trains both; ``classify`` runs the encoder and the head alone, for inference.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from smart_brains.models.blocks import ConvNormAct, MultiScaleBlock
from smart_brains.models.geometry import BranchField, Field, multiscale_fields


@dataclass(frozen=True)
class MultiScaleSpec:
    """Architecture of a ``MultiScaleUNet``.

    Attributes:
        features: channels per stage, full resolution first.
        blocks: multiscale blocks per encoder stage.
        dilations: branch dilations per stage.
        decoder_blocks: multiscale blocks per decoder stage (finest first; one fewer than
            ``features``, as the coarsest stage is the bottleneck).
        deep_supervision: extra output heads at the coarser decoder scales (0 = none).
        norm: 'instance', 'group' or 'none'.
        stem_stride: 2 runs every block at half resolution or coarser and restores full
            resolution with a final transposed conv (the CPU-friendly ``tiny``); 1 keeps a
            full-resolution stage.
        branch_divisor: each branch has channels // branch_divisor channels (at least 4).
        restore_kernel: kernel of the full-resolution skip conv when ``stem_stride`` > 1 (3: a
            3^3 conv, 45 % of tiny's FLOPs at 128^3; 1: a 1^3 conv, the ``lite`` variant).
    """

    features: tuple[int, ...]
    blocks: tuple[int, ...]
    dilations: tuple[tuple[int, ...], ...]
    decoder_blocks: tuple[int, ...]
    deep_supervision: int = 2
    norm: str = "instance"
    stem_stride: int = 1
    branch_divisor: int = 2
    restore_kernel: int = 3

    def fields(self) -> tuple[list[BranchField], Field]:
        return multiscale_fields(self.dilations, self.blocks, self.decoder_blocks, self.stem_stride)


PRESETS: dict[str, MultiScaleSpec] = {
    "tiny": MultiScaleSpec(
        features=(8, 16, 32, 64),
        blocks=(1, 1, 1, 1),
        dilations=((1, 2), (1, 2, 4), (1, 2, 4), (1, 2, 4)),
        decoder_blocks=(1, 1, 1),
        stem_stride=2,
    ),
    # tiny's layout with twice the channels and two blocks in the deeper stages: about 4x
    # tiny's FLOPs, still CPU-trainable (the capacity step of issue 25)
    "small": MultiScaleSpec(
        features=(16, 32, 64, 128),
        blocks=(1, 1, 2, 2),
        dilations=((1, 2), (1, 2, 4), (1, 2, 4), (1, 2, 4)),
        decoder_blocks=(1, 1, 1),
        stem_stride=2,
    ),
    # nnU-Net's six stages for a 128^3 patch, but only a light full-resolution stage (stem and
    # skip, no block): 121 GFLOP per 128^3 forward against PlainConvUNet's 965.
    "base": MultiScaleSpec(
        features=(16, 32, 64, 128, 256, 320),
        blocks=(0, 1, 1, 2, 2, 2),
        dilations=((1,), (1, 2, 4), (1, 2, 4), (1, 2, 4), (1, 2), (1, 2)),
        decoder_blocks=(0, 1, 1, 1, 1),
    ),
}


class FullResolutionRestore(nn.Module):
    """Up-sample half-resolution features by a transposed conv and fuse them (1^3 conv) with a
    3^3 conv of the input, so boundaries are placed at full resolution."""

    def __init__(
        self, in_channels: int, channels: int, factor: int, norm: str, kernel: int = 3
    ) -> None:
        super().__init__()
        self.up = nn.ConvTranspose3d(channels, channels, factor, factor, bias=False)
        self.skip = ConvNormAct(in_channels, channels, kernel, norm=norm)
        self.fuse = ConvNormAct(2 * channels, channels, 1, norm=norm)

    def forward(self, h: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return self.fuse(torch.cat([self.up(h), self.skip(x)], dim=1))


def _pool(h: torch.Tensor) -> torch.Tensor:
    """(B, C, X, Y, Z) -> (B, 2C): the mean and the maximum of each channel over space."""
    return torch.cat([h.mean(dim=(2, 3, 4)), h.amax(dim=(2, 3, 4))], dim=1)


class MultiScaleUNet(nn.Module):
    """Residual encoder-decoder of multiscale blocks with deep supervision (see module doc)."""

    def __init__(
        self, in_channels: int, out_channels: int, spec: MultiScaleSpec, n_classes: int = 0
    ) -> None:
        super().__init__()
        self.spec = spec
        f, n_stages = spec.features, len(spec.features)
        self.size_divisor = 2 ** (n_stages - 1) * spec.stem_stride
        self.stem = ConvNormAct(in_channels, f[0], 3, stride=spec.stem_stride, norm=spec.norm)
        self.restore: FullResolutionRestore | None = None
        if spec.stem_stride > 1:  # back to full resolution, fused with a full-resolution skip
            self.restore = FullResolutionRestore(
                in_channels, f[0], spec.stem_stride, spec.norm, spec.restore_kernel
            )
        self.down = nn.ModuleList(
            ConvNormAct(f[s - 1], f[s], 3, stride=2, norm=spec.norm) for s in range(1, n_stages)
        )
        self.encoder = nn.ModuleList(
            nn.Sequential(
                *[
                    MultiScaleBlock(f[s], spec.dilations[s], self._width(f[s]), spec.norm)
                    for _ in range(spec.blocks[s])
                ]
            )
            for s in range(n_stages)
        )
        self.up = nn.ModuleList(
            nn.ConvTranspose3d(f[s + 1], f[s], 2, 2, bias=False) for s in range(n_stages - 1)
        )
        self.merge = nn.ModuleList(
            ConvNormAct(2 * f[s], f[s], 1, norm=spec.norm) for s in range(n_stages - 1)
        )
        self.decoder = nn.ModuleList(
            nn.Sequential(
                *[
                    MultiScaleBlock(f[s], spec.dilations[s], self._width(f[s]), spec.norm)
                    for _ in range(spec.decoder_blocks[s])
                ]
            )
            for s in range(n_stages - 1)
        )
        n_heads = 1 + min(spec.deep_supervision, n_stages - 2)
        self.heads = nn.ModuleList(
            nn.Conv3d(f[self._head_stage(level)], out_channels, 1) for level in range(n_heads)
        )
        self.deep_supervision = spec.deep_supervision > 0
        # Case-level head on the deepest features, pooled over space by their mean and their
        # maximum (instance norm makes every case's channel means alike: the maxima say where a
        # feature fired strongly), then dropout and a linear layer.
        self.class_head: nn.Module | None = None
        if n_classes:
            self.class_head = nn.Sequential(nn.Dropout(0.2), nn.Linear(2 * f[-1], n_classes))

    def _width(self, channels: int) -> int:
        return max(4, channels // self.spec.branch_divisor)

    def _head_stage(self, level: int) -> int:
        """Decoder stage feeding the output at 1 / 2^level resolution."""
        return level if self.spec.stem_stride == 1 or level == 0 else level - 1

    def _pad(self, x: torch.Tensor) -> torch.Tensor:
        d = self.size_divisor  # the bottleneck keeps >= 2 voxels per axis (instance norm)
        pad = [max(-(-n // d) * d, 2 * d) - n for n in x.shape[2:]]
        return F.pad(x, [p for n in reversed(pad) for p in (0, n)]) if any(pad) else x

    def _encode(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Padded input -> bottleneck features (B, f_last, ...) and the skips."""
        skips = []
        h = self.encoder[0](self.stem(x))  # (B, f0, X / stem_stride, ...)
        for down, stage in zip(self.down, self.encoder[1:]):
            skips.append(h)
            h = stage(down(h))  # (B, f_s, X / 2^s, ...)
        return h, skips

    def classify(self, x: torch.Tensor) -> torch.Tensor:
        """(B, C, X, Y, Z) -> (B, n_classes) case-class logits (encoder and head only)."""
        if self.class_head is None:
            raise RuntimeError("this network was built without a case-class head")
        h, _ = self._encode(self._pad(x))
        return self.class_head(_pool(h))

    def forward(
        self, x: torch.Tensor
    ) -> torch.Tensor | list[torch.Tensor] | tuple[torch.Tensor | list[torch.Tensor], torch.Tensor]:
        """Segmentation logits (B, K, X, Y, Z); in training with deep supervision a list, full
        resolution first. With a case-class head, in training: (segmentation, (B, n_classes)
        class logits), so that one pass (and DDP's one forward) trains both."""
        size = x.shape[2:]
        x = self._pad(x)
        h, skips = self._encode(x)
        pooled = _pool(h)  # (B, 2 f_last)
        decoded: list[torch.Tensor] = []
        for s in range(len(self.up) - 1, -1, -1):
            h = self.merge[s](torch.cat([self.up[s](h), skips[s]], dim=1))
            h = self.decoder[s](h)
            decoded.append(h)
        decoded.reverse()  # full resolution first
        crop = (slice(None), slice(None), *(slice(0, n) for n in size))
        top = decoded[0] if self.restore is None else self.restore(decoded[0], x)
        full = self.heads[0](top)[crop]
        segmentation: torch.Tensor | list[torch.Tensor] = full
        if self.training and self.deep_supervision:
            coarse = []
            for level, head in enumerate(self.heads[1:], start=1):
                scale = 2**level
                keep = (slice(None), slice(None), *(slice(0, -(-n // scale)) for n in size))
                coarse.append(head(decoded[self._head_stage(level)])[keep])
            segmentation = [full, *coarse]
        if self.training and self.class_head is not None:
            return segmentation, self.class_head(pooled)
        return segmentation
