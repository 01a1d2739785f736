"""Training augmentation as strong as nnU-Net's for BraTS, in torch, on any device.

Randomness is kept apart from the operation (as TorchIO does): ``sample_params`` draws one
patch's parameters from a seeded ``torch.Generator`` on the CPU; ``apply_augment`` is
deterministic given them and works on a batch, on the CPU (in loader workers) or on the GPU
(in the training loop, so 4 CPU cores do not starve it). Probabilities and ranges follow
nnU-Net v2's defaults:

- spatial: rotation +-30 deg (p 0.2), scaling 0.7-1.4 (p 0.2), smooth elastic deformation
  (p 0.2), all in one resampling; mirroring on each axis (p 0.5);
- intensity: Gaussian noise (p 0.1), Gaussian blur sigma 0.5-1 (p 0.2), brightness x0.75-1.25
  (p 0.15), contrast x0.75-1.25 (p 0.15), low-resolution simulation x0.5-1 (p 0.25), gamma
  0.7-1.5 on the inverted image (p 0.1) and on the image (p 0.3).

Beyond nnU-Net, for data from many scanners (per-channel intensity augmentation as in MONAI's
BraTS tutorial, and TorchIO's random bias field), every modality is its own acquisition:
- gamma is drawn per channel (each modality its own contrast curve);
- per-channel scale x0.9-1.1 and shift +-0.1 (p 1, as MONAI's BraTS recipe);
- a smooth multiplicative bias field per channel, log-amplitude sd 0.1-0.3 (p 0.3);
- thick slices per channel: one random axis sampled at 1/4-1/2 resolution and interpolated back
  (p 0.2 per channel: 2D protocols with 3-5 mm slices).

Images are (B, C, X, Y, Z) float; targets (B, K, X, Y, Z) float region masks or (B, X, Y, Z)
int64 labels, resampled with nearest neighbour so labels stay labels.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

ELASTIC_GRID = 5  # control points per axis of the smooth deformation
BIAS_GRID = 4  # control points per axis of the bias field


def _u(g: torch.Generator, lo: float, hi: float, n: int = 1) -> torch.Tensor:
    return lo + (hi - lo) * torch.rand(n, generator=g)


def _p(g: torch.Generator, p: float) -> bool:
    return bool(torch.rand(1, generator=g) < p)


def sample_params(
    g: torch.Generator, channels: int, acquisition: bool = True
) -> dict[str, torch.Tensor]:
    """One patch's augmentation parameters; every value is a tensor, so batches collate.

    ``acquisition=False`` gives nnU-Net's intensity augmentation alone: one gamma for every
    channel, no per-channel scale, shift, bias field or thick slices."""
    angles = _u(g, -math.pi / 6, math.pi / 6, 3) if _p(g, 0.2) else torch.zeros(3)
    scale = _u(g, 0.7, 1.4) if _p(g, 0.2) else torch.ones(1)
    elastic = (
        torch.randn(3, ELASTIC_GRID, ELASTIC_GRID, ELASTIC_GRID, generator=g) * 0.03
        if _p(g, 0.2)
        else torch.zeros(3, ELASTIC_GRID, ELASTIC_GRID, ELASTIC_GRID)
    )
    return {
        "angles": angles,
        "scale": scale,
        "elastic": elastic,
        "flip": torch.rand(3, generator=g) < 0.5,
        "noise_std": _u(g, 0, 0.1) if _p(g, 0.1) else torch.zeros(1),
        "noise_seed": torch.randint(0, 2**31 - 1, (1,), generator=g),
        "blur_sigma": _u(g, 0.5, 1.0) if _p(g, 0.2) else torch.zeros(1),
        "brightness": _u(g, 0.75, 1.25, channels) if _p(g, 0.15) else torch.ones(channels),
        "contrast": _u(g, 0.75, 1.25, channels) if _p(g, 0.15) else torch.ones(channels),
        "lowres": _u(g, 0.5, 1.0) if _p(g, 0.25) else torch.ones(1),
    } | (_acquisition(g, channels) if acquisition else _shared_gamma(g, channels))


def _shared_gamma(g: torch.Generator, channels: int) -> dict[str, torch.Tensor]:
    """nnU-Net: one gamma for all channels; the per-channel transforms left as identities."""
    return {
        "gamma_inverted": (_u(g, 0.7, 1.5) if _p(g, 0.1) else torch.ones(1)).expand(channels),
        "gamma": (_u(g, 0.7, 1.5) if _p(g, 0.3) else torch.ones(1)).expand(channels),
        "gain": torch.ones(channels),
        "shift": torch.zeros(channels),
        "bias": torch.zeros(channels, BIAS_GRID, BIAS_GRID, BIAS_GRID),
        "slice_zoom": torch.ones(channels),
        "slice_axis": torch.zeros(channels, dtype=torch.long),
    }


def _acquisition(g: torch.Generator, channels: int) -> dict[str, torch.Tensor]:
    """Every channel its own acquisition: gamma, scale, shift, bias field, thick slices."""
    return {
        "gamma_inverted": _per_channel(g, channels, 0.1, 0.7, 1.5, 1.0),
        "gamma": _per_channel(g, channels, 0.3, 0.7, 1.5, 1.0),
        "gain": _u(g, 0.9, 1.1, channels),
        "shift": _u(g, -0.1, 0.1, channels),
        "bias": (
            torch.randn(channels, BIAS_GRID, BIAS_GRID, BIAS_GRID, generator=g)
            * _u(g, 0.1, 0.3).view(1, 1, 1, 1)
            if _p(g, 0.3)
            else torch.zeros(channels, BIAS_GRID, BIAS_GRID, BIAS_GRID)
        ),
        "slice_zoom": _per_channel(g, channels, 0.2, 0.25, 0.5, 1.0),
        "slice_axis": torch.randint(0, 3, (channels,), generator=g),
    }


def _per_channel(
    g: torch.Generator, channels: int, p: float, lo: float, hi: float, off: float
) -> torch.Tensor:
    """(channels,) values: each channel drawn in [lo, hi) with probability p, else ``off``."""
    on = torch.rand(channels, generator=g) < p
    return torch.where(on, _u(g, lo, hi, channels), torch.full((channels,), off))


def rotation_scale_matrix(angles: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """(B, 3) angles (rad) and (B, 1) scale -> (B, 3, 4) affine for ``F.affine_grid``.

    The grid samples the input at R p / s: content is rotated by R^T and magnified by s."""
    cx, cy, cz = torch.cos(angles).unbind(1)
    sx, sy, sz = torch.sin(angles).unbind(1)
    one, zero = torch.ones_like(cx), torch.zeros_like(cx)
    rx = torch.stack([one, zero, zero, zero, cx, -sx, zero, sx, cx], 1).view(-1, 3, 3)
    ry = torch.stack([cy, zero, sy, zero, one, zero, -sy, zero, cy], 1).view(-1, 3, 3)
    rz = torch.stack([cz, -sz, zero, sz, cz, zero, zero, zero, one], 1).view(-1, 3, 3)
    matrix = rz @ ry @ rx / scale.view(-1, 1, 1)
    return torch.cat([matrix, torch.zeros(len(angles), 3, 1, dtype=matrix.dtype)], dim=2)


def _spatial(image: torch.Tensor, target: torch.Tensor, p: dict[str, torch.Tensor]):
    moved = (
        (p["angles"].abs().sum(1) > 0)
        | (p["scale"].view(-1) != 1)
        | (p["elastic"].abs().flatten(1).sum(1) > 0)
    )
    if not bool(moved.any()):
        return image, target
    b, _, *size = image.shape
    theta = rotation_scale_matrix(p["angles"].float().cpu(), p["scale"].float().cpu()).to(
        image.device
    )
    grid = F.affine_grid(theta, [b, 1, *size], align_corners=False)  # (B, X, Y, Z, 3)
    displacement = F.interpolate(
        p["elastic"].to(image.device, image.dtype), size=size, mode="trilinear", align_corners=True
    )
    grid = grid + displacement.permute(0, 2, 3, 4, 1)
    image = torch.where(
        moved.view(-1, 1, 1, 1, 1).to(image.device),
        F.grid_sample(image, grid, mode="bilinear", padding_mode="zeros", align_corners=False),
        image,
    )
    labels = target.dim() == image.dim() - 1
    t = target.unsqueeze(1).float() if labels else target.float()
    warped = F.grid_sample(t, grid, mode="nearest", padding_mode="zeros", align_corners=False)
    t = torch.where(moved.view(-1, 1, 1, 1, 1).to(t.device), warped, t)
    return image, (t.squeeze(1).long() if labels else t.to(target.dtype))


def _gaussian_blur(x: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of (C, X, Y, Z) with ``sigma`` voxels."""
    radius = max(1, int(math.ceil(2 * sigma)))
    k = torch.exp(
        -0.5 * (torch.arange(-radius, radius + 1, device=x.device, dtype=x.dtype) / sigma) ** 2
    )
    k = k / k.sum()
    out = x.unsqueeze(1)  # (C, 1, X, Y, Z)
    for axis in range(3):
        shape = [1, 1, 1, 1, 1]
        shape[2 + axis] = len(k)
        pad = [0, 0, 0, 0, 0, 0]
        pad[2 * (2 - axis)] = pad[2 * (2 - axis) + 1] = radius
        out = F.conv3d(F.pad(out, pad, mode="replicate"), k.view(shape))
    return out.squeeze(1)


def _intensity(image: torch.Tensor, p: dict[str, torch.Tensor]) -> torch.Tensor:
    out = []
    for i, x in enumerate(image):  # (C, X, Y, Z): per-patch parameters
        std = float(p["noise_std"][i])
        if std > 0:
            g = torch.Generator(device="cpu").manual_seed(int(p["noise_seed"][i]))
            x = x + std * torch.randn(x.shape, generator=g).to(x.device, x.dtype)
        sigma = float(p["blur_sigma"][i])
        if sigma > 0:
            x = _gaussian_blur(x, sigma)
        x = x * p["brightness"][i].to(x.device, x.dtype).view(-1, 1, 1, 1)
        contrast = p["contrast"][i].to(x.device, x.dtype).view(-1, 1, 1, 1)
        if bool((contrast != 1).any()):
            mean = x.mean(dim=(1, 2, 3), keepdim=True)
            lo, hi = x.amin(dim=(1, 2, 3), keepdim=True), x.amax(dim=(1, 2, 3), keepdim=True)
            x = torch.maximum(torch.minimum((x - mean) * contrast + mean, hi), lo)
        zoom = float(p["lowres"][i])
        if zoom < 1:
            size = x.shape[1:]
            small = [max(1, int(round(n * zoom))) for n in size]
            x = F.interpolate(
                F.interpolate(x[None], size=small, mode="nearest"), size=size, mode="trilinear"
            )[0]
        for key, invert in (("gamma_inverted", True), ("gamma", False)):
            gamma = p[key][i].to(x.device, x.dtype)
            if bool((gamma != 1).any()):
                x = _gamma(-x if invert else x, gamma.view(-1, 1, 1, 1))
                x = -x if invert else x
        x = _per_channel_acquisition(x, p, i)
        out.append(x)
    return torch.stack(out)


def _per_channel_acquisition(x: torch.Tensor, p: dict[str, torch.Tensor], i: int) -> torch.Tensor:
    """Thick slices, bias field, scale and shift of each channel of one patch (C, X, Y, Z)."""
    size = x.shape[1:]
    thick = [c for c in range(len(x)) if float(p["slice_zoom"][i][c]) < 1]
    if thick:
        x = x.clone()  # the caller's patch stays as it was
    for c in thick:
        axis = int(p["slice_axis"][i][c])
        small = list(size)
        small[axis] = max(1, int(round(size[axis] * float(p["slice_zoom"][i][c]))))
        down = F.interpolate(x[None, None, c], size=small, mode="trilinear")
        x[c] = F.interpolate(down, size=size, mode="trilinear")[0, 0]
    bias = p["bias"][i]
    if bool((bias != 0).any()):
        field = F.interpolate(
            bias[None].to(x.device, x.dtype), size=size, mode="trilinear", align_corners=True
        )[0]
        lo = x.amin(dim=(1, 2, 3), keepdim=True)
        x = lo + (x - lo) * torch.exp(field)
    gain = p["gain"][i].to(x.device, x.dtype).view(-1, 1, 1, 1)
    shift = p["shift"][i].to(x.device, x.dtype).view(-1, 1, 1, 1)
    return x * gain + shift


def _gamma(x: torch.Tensor, gamma: float | torch.Tensor) -> torch.Tensor:
    """nnU-Net's gamma: rescale each channel to [0, 1], power, rescale back (mean/std kept)."""
    dims = (1, 2, 3)
    mean, std = x.mean(dims, keepdim=True), x.std(dims, keepdim=True)
    lo, hi = x.amin(dims, keepdim=True), x.amax(dims, keepdim=True)
    y = ((x - lo) / (hi - lo).clamp_min(1e-7)) ** gamma * (hi - lo) + lo
    y = (y - y.mean(dims, keepdim=True)) / y.std(dims, keepdim=True).clamp_min(1e-7) * std + mean
    return y


def _mirror(image: torch.Tensor, target: torch.Tensor, flip: torch.Tensor):
    labels = target.dim() == image.dim() - 1
    images, targets = [], []
    for i in range(len(image)):
        axes = [a for a in range(3) if bool(flip[i, a])]
        images.append(image[i].flip([1 + a for a in axes]) if axes else image[i])
        offset = 0 if labels else 1
        targets.append(target[i].flip([offset + a for a in axes]) if axes else target[i])
    return torch.stack(images), torch.stack(targets)


def apply_augment(
    image: torch.Tensor, target: torch.Tensor, params: dict[str, torch.Tensor]
) -> tuple[torch.Tensor, torch.Tensor]:
    """Augment a batch with per-patch ``params`` (stacked ``sample_params`` outputs)."""
    image, target = _spatial(image, target, params)
    image = _intensity(image, params)
    return _mirror(image, target, params["flip"])
