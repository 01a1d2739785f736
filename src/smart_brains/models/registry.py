"""One model registry: a string in the config names the architecture.

``build_model(name, preset, in_channels, out_channels)`` is the only constructor the trainer
and the predictor call. Every model maps (B, C_in, X, Y, Z) float32 to (B, C_out, X, Y, Z)
logits for inputs whose sizes are multiples of the model's ``size_divisor``.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from smart_brains.errors import DataError

ModelFactory = Callable[..., nn.Module]  # (preset, in_channels, out_channels[, n_classes])
_REGISTRY: dict[str, ModelFactory] = {}
_CASE_HEAD: set[str] = set()  # models whose factory takes ``n_classes`` (a case-class head)
PRESETS = ("tiny", "small", "base")
# 'small' (between tiny and base) exists for the multiscale family only
_SMALL = {"multiscale", "singlescale", "multiscale-lite"}


def register_model(name: str, case_head: bool = False) -> Callable[[ModelFactory], ModelFactory]:
    """Register a factory under ``name``; ``case_head``: it accepts ``n_classes`` and then
    builds a network with a case-class head (a ``classify`` method)."""

    def wrap(factory: ModelFactory) -> ModelFactory:
        _REGISTRY[name] = factory
        if case_head:
            _CASE_HEAD.add(name)
        return factory

    return wrap


def available_models() -> list[str]:
    return sorted(_REGISTRY)


def has_case_head(name: str) -> bool:
    """Whether model ``name`` can carry a case-class head (``register_model(case_head=True)``)."""
    return name in _CASE_HEAD


def build_model(
    name: str, preset: str, in_channels: int, out_channels: int, n_classes: int = 0
) -> nn.Module:
    """Instantiate registered model ``name`` at size ``preset``; ``n_classes`` > 0 adds a
    case-class head on the deepest features (the multiscale network has one)."""
    if name not in _REGISTRY:
        raise DataError(f"unknown model {name!r}; available: {', '.join(available_models())}")
    if preset not in PRESETS:
        raise DataError(f"unknown preset {preset!r}; choose from {', '.join(PRESETS)}")
    if preset == "small" and name not in _SMALL:
        raise DataError(
            f"--preset small is for {', '.join(sorted(_SMALL))}; {name} has tiny and base"
        )
    if n_classes:
        if name not in _CASE_HEAD:
            with_head = ", ".join(sorted(_CASE_HEAD))
            raise DataError(
                f"--model {name}: it has no case-class head (--target); models with one: "
                f"{with_head}; or use `smart-brains classify` with any model"
            )
        return _REGISTRY[name](preset, in_channels, out_channels, n_classes=n_classes)
    return _REGISTRY[name](preset, in_channels, out_channels)


class PadToDivisor(nn.Module):
    """Zero-pads (B, C, X, Y, Z) inputs up to multiples of ``divisor`` and crops the output
    back, so a network with down-sampling takes any input size. A list of deep-supervision
    outputs [full, 1/2, 1/4, ...] is cropped level by level (level i to ceil(size / 2^i))."""

    def __init__(self, net: nn.Module, divisor: int) -> None:
        super().__init__()
        self.net, self.divisor = net, divisor

    def forward(self, x: torch.Tensor) -> torch.Tensor | list[torch.Tensor]:
        size = x.shape[2:]
        pad = [(-n) % self.divisor for n in size]
        if not any(pad):
            return self.net(x)
        y = self.net(F.pad(x, [p for n in reversed(pad) for p in (0, n)]))
        if isinstance(y, torch.Tensor):
            return y[(slice(None), slice(None), *(slice(0, n) for n in size))]
        return [
            level[(slice(None), slice(None), *(slice(0, -(-n // 2**i)) for n in size))]
            for i, level in enumerate(y)
        ]


class DeepSupervisionInTraining(PadToDivisor):
    """nnU-Net's PlainConvUNet as nnU-Net trains it: every decoder stage's output in training
    ([full, 1/2, ...], for the deep-supervision loss), the full-resolution output alone in
    eval. The flag lives in the decoder, so the state dict is the network's own."""

    def train(self, mode: bool = True) -> DeepSupervisionInTraining:
        self.net.decoder.deep_supervision = mode
        return super().train(mode)


def _multiscale(preset: str, in_channels: int, out_channels: int, n_classes: int = 0, **changes):
    """``MultiScaleUNet`` at ``preset``, with ``changes`` to its spec (the ablation's variants)."""
    from dataclasses import replace

    from smart_brains.models.multiscale import PRESETS as MULTISCALE_PRESETS
    from smart_brains.models.multiscale import MultiScaleUNet

    spec = replace(MULTISCALE_PRESETS[preset], **changes)
    return MultiScaleUNet(in_channels, out_channels, spec, n_classes)


@register_model("multiscale", case_head=True)
def multiscale(preset: str, in_channels: int, out_channels: int, n_classes: int = 0) -> nn.Module:
    """Our multiscale residual U-Net (``multiscale.py``) with deep supervision and, with
    ``n_classes``, a case-class head."""
    return _multiscale(preset, in_channels, out_channels, n_classes)


@register_model("singlescale")
def singlescale(preset: str, in_channels: int, out_channels: int) -> nn.Module:
    """The ablation twin of ``multiscale``: the same network with every dilation set to 1, so
    the same parameters and FLOPs and a smaller receptive field (375 -> 123 voxels for tiny)."""
    from smart_brains.models.multiscale import PRESETS as MULTISCALE_PRESETS

    ones = tuple(tuple(1 for _ in d) for d in MULTISCALE_PRESETS[preset].dilations)
    return _multiscale(preset, in_channels, out_channels, dilations=ones)


@register_model("multiscale-lite")
def multiscale_lite(preset: str, in_channels: int, out_channels: int) -> nn.Module:
    """A design candidate of the ablation: ``multiscale`` whose full-resolution skip is a 1^3
    conv instead of a 3^3 one (tiny: 6.3 instead of 9.8 GFLOPs per 128^3 forward; the same
    blocks and receptive field)."""
    return _multiscale(preset, in_channels, out_channels, restore_kernel=1)


@register_model("unet")
def monai_unet(preset: str, in_channels: int, out_channels: int) -> nn.Module:
    """MONAI's residual UNet; tiny: 8..64 features, 3 down-samplings; base: 32..320, 4."""
    from monai.networks.nets import UNet

    if preset == "tiny":
        channels, strides, res = (8, 16, 32, 64), (2, 2, 2), 1
    else:
        channels, strides, res = (32, 64, 128, 256, 320), (2, 2, 2, 2), 2
    net = UNet(
        spatial_dims=3,
        in_channels=in_channels,
        out_channels=out_channels,
        channels=channels,
        strides=strides,
        num_res_units=res,
        norm="instance",
    )
    return PadToDivisor(net, 2 ** len(strides))


@register_model("segresnet")
def monai_segresnet(preset: str, in_channels: int, out_channels: int) -> nn.Module:
    """MONAI SegResNet with the BraTS settings (blocks_down 1,2,2,4; 16 filters; tiny: 8)."""
    from monai.networks.nets import SegResNet

    net = SegResNet(
        spatial_dims=3,
        in_channels=in_channels,
        out_channels=out_channels,
        init_filters=8 if preset == "tiny" else 16,
        blocks_down=(1, 2, 2, 4),
        blocks_up=(1, 1, 1),
    )
    return PadToDivisor(net, 8)


@register_model("plainconvunet")
def nnunet_plain_conv_unet(preset: str, in_channels: int, out_channels: int) -> nn.Module:
    """nnU-Net's default 3d_fullres network for BraTS (``dynamic-network-architectures``).

    base: 6 stages, 32..320 features, 3^3 kernels, strides 1,2,2,2,2,2, two convs per stage,
    instance norm, leaky ReLU (nnU-Net's plans for a 128^3 patch); tiny: 4 stages, 8..64.
    Deep supervision in training as nnU-Net's (every decoder output; nnU-Net gives the
    coarsest one weight 0, here it keeps 1/2^i, so that DDP sees every parameter used). Install with
    ``pip install --no-deps dynamic-network-architectures einops``.
    """
    try:
        from dynamic_network_architectures.architectures.unet import PlainConvUNet
    except ImportError:
        raise DataError(
            "model plainconvunet needs nnU-Net's networks: "
            "pip install --no-deps dynamic-network-architectures einops"
        ) from None
    from torch.nn import Conv3d, InstanceNorm3d, LeakyReLU

    features = (32, 64, 128, 256, 320, 320) if preset == "base" else (8, 16, 32, 64)
    n = len(features)
    net = PlainConvUNet(
        input_channels=in_channels,
        n_stages=n,
        features_per_stage=features,
        conv_op=Conv3d,
        kernel_sizes=[3] * n,
        strides=[1] + [2] * (n - 1),
        n_conv_per_stage=[2] * n,
        num_classes=out_channels,
        n_conv_per_stage_decoder=[2] * (n - 1),
        conv_bias=True,
        norm_op=InstanceNorm3d,
        norm_op_kwargs={"eps": 1e-5, "affine": True},
        nonlin=LeakyReLU,
        nonlin_kwargs={"inplace": True},
        deep_supervision=True,
    )
    return DeepSupervisionInTraining(net, 2 ** (n - 1)).train()
