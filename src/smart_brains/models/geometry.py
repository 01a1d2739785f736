"""Receptive-field arithmetic, written as explicit functions (as DeepMedic does).

Along a plain chain of convolutions a layer with kernel k, stride s and dilation d grows the
receptive field by (k - 1) d j input voxels, where the "jump" j is the product of the strides
before it (``receptive_field``). An encoder-decoder is not a plain chain: after a transposed
convolution neighbouring voxels share their coarse parent, so the field depends on the position
and the chain formula is neither exact nor an upper bound. ``multiscale_fields`` therefore
propagates, along one axis, the interval of input voxels that each position depends on, through
exactly the layers a ``MultiScaleUNet`` applies, and reports the widest interval (the receptive
field, in voxels per axis; the network is isotropic).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Layer:
    """One convolution along a path: kernel, stride and dilation, in voxels."""

    kernel: int
    stride: int = 1
    dilation: int = 1


@dataclass(frozen=True)
class Field:
    """Receptive field ``rf_vox`` (edge length, input voxels) and ``jump_vox`` (input voxels
    between neighbouring output voxels) at some point of a network."""

    rf_vox: int = 1
    jump_vox: int = 1

    def through(self, layer: Layer) -> Field:
        """The field after ``layer`` on a plain chain."""
        grown = self.rf_vox + (layer.kernel - 1) * layer.dilation * self.jump_vox
        return Field(grown, self.jump_vox * layer.stride)


def receptive_field(layers: Sequence[Layer], start: Field = Field()) -> Field:
    """The field after a plain chain of ``layers``, starting from ``start`` (default: the input)."""
    field = start
    for layer in layers:
        field = field.through(layer)
    return field


class Intervals:
    """For each position along one axis of a feature map, the interval [lo, hi] of input voxels
    it depends on, and the feature map's jump (input voxels per position)."""

    def __init__(self, lo: np.ndarray, hi: np.ndarray, jump: int) -> None:
        self.lo, self.hi, self.jump = lo, hi, jump

    @classmethod
    def input(cls, length: int) -> Intervals:
        idx = np.arange(length)
        return cls(idx, idx.copy(), 1)

    def conv(self, layer: Layer) -> Intervals:
        """'same'-padded conv: output q reads inputs s q - pad + t d, t = 0..k-1 (in range)."""
        n = len(self.lo)
        pad = layer.dilation * (layer.kernel - 1) // 2
        q = np.arange(-(-n // layer.stride))
        taps = layer.stride * q[:, None] - pad + layer.dilation * np.arange(layer.kernel)[None, :]
        valid = (taps >= 0) & (taps < n)
        taps = np.clip(taps, 0, n - 1)
        lo = np.where(valid, self.lo[taps], np.iinfo(np.int64).max).min(1)
        hi = np.where(valid, self.hi[taps], np.iinfo(np.int64).min).max(1)
        return Intervals(lo, hi, self.jump * layer.stride)

    def upsample(self, factor: int = 2) -> Intervals:
        """Transposed conv with kernel = stride = ``factor``: position p reads p // factor."""
        parent = np.arange(len(self.lo) * factor) // factor
        return Intervals(self.lo[parent], self.hi[parent], self.jump // factor)

    def union(self, other: Intervals) -> Intervals:
        return Intervals(np.minimum(self.lo, other.lo), np.maximum(self.hi, other.hi), self.jump)

    def field(self) -> Field:
        """Widest interval among positions whose interval does not touch the borders."""
        n_in = int(self.hi.max()) + 1
        inner = (self.lo > 0) & (self.hi < n_in - 1)
        if not inner.any():
            raise ValueError("line too short for this receptive field")
        return Field(int((self.hi - self.lo + 1)[inner].max()), self.jump)


@dataclass(frozen=True)
class BranchField:
    """Receptive field of one branch of one multiscale block."""

    where: str  # 'encoder' or 'decoder'
    stage: int  # 0 = the finest stage
    block: int
    dilation: int
    rf_vox: int
    jump_vox: int


def multiscale_fields(
    dilations: Sequence[Sequence[int]],
    blocks: Sequence[int],
    decoder_blocks: Sequence[int],
    stem_stride: int = 1,
    line_vox: int = 4096,
) -> tuple[list[BranchField], Field]:
    """Receptive field of every branch of a ``MultiScaleUNet`` and of its output.

    The network: a 3^3 stem of stride ``stem_stride``; per encoder stage s a 3^3 stride-2 conv
    (s > 0) then ``blocks[s]`` multiscale blocks whose branches are 3^3 convs with
    ``dilations[s]`` (a block's output depends on the union of its branches: the 1^3 fusion and
    the residual add nothing); a decoder that up-samples by 2 (transposed conv), merges the skip
    (union) and applies ``decoder_blocks[s]`` blocks at stage s; with ``stem_stride`` 2 a final
    transposed conv to full resolution fused with a 3^3 conv of the input; a 1^3 head.

    Returns:
        the fields of all branches (encoder first, then decoder from coarse to fine), and the
        field of the network's full-resolution output.
    """
    out: list[BranchField] = []
    x = Intervals.input(line_vox)
    h = x.conv(Layer(3, stride=stem_stride))
    skips: list[Intervals] = []
    for stage, (stage_dilations, n_blocks) in enumerate(zip(dilations, blocks)):
        if stage > 0:
            skips.append(h)
            h = h.conv(Layer(3, stride=2))
        h = _blocks(out, "encoder", stage, stage_dilations, n_blocks, h)
    for stage in range(len(dilations) - 2, -1, -1):
        h = h.upsample(2).union(skips[stage])
        h = _blocks(out, "decoder", stage, dilations[stage], decoder_blocks[stage], h)
    if stem_stride > 1:  # transposed conv, fused with a 3^3 conv of the input
        h = h.upsample(stem_stride).union(x.conv(Layer(3)))
    return out, h.field()


def _blocks(
    out: list[BranchField], where: str, stage: int, dilations: Sequence[int], n: int, h: Intervals
) -> Intervals:
    for block in range(n):
        branches = [h.conv(Layer(3, dilation=d)) for d in dilations]
        for d, b in zip(dilations, branches):
            f = b.field()
            out.append(BranchField(where, stage, block, d, f.rf_vox, f.jump_vox))
        merged = branches[0]
        for b in branches[1:]:
            merged = merged.union(b)
        h = merged.union(h)  # residual
    return h
