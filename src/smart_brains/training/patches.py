"""Training patches sampled from the memory-mapped cache, with seeded augmentation.

Randomness is kept apart from the operation: ``sample_patch_params`` draws everything from a
generator seeded by (seed, epoch, index), then ``extract_patch`` and ``augment_patch`` are
deterministic. A batch is therefore the same whatever the number of loader workers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import Dataset

from smart_brains.data.cache import PreparedCase, open_case
from smart_brains.data.labels import labels_to_regions


@dataclass(frozen=True)
class PatchParams:
    """Where to cut a patch and how to augment it (all drawn from one seeded generator)."""

    case_index: int
    corner_vox: tuple[int, int, int]  # may be negative / past the end: padded with zeros
    flips: tuple[bool, bool, bool]
    scale: tuple[float, ...]  # per channel
    shift: tuple[float, ...]  # per channel
    noise_std: float
    noise_seed: int


def _corner(centre: np.ndarray, patch: tuple[int, int, int]) -> tuple[int, int, int]:
    x, y, z = (int(c) - p // 2 for c, p in zip(centre, patch))
    return (x, y, z)


def sample_patch_params(
    rng: np.random.Generator,
    shapes: list[tuple[int, int, int]],
    foreground: list[np.ndarray],
    patch: tuple[int, int, int],
    channels: int,
    foreground_fraction: float,
    augment: bool,
) -> PatchParams:
    """Draw a case, a patch centre (a tumour voxel with ``foreground_fraction``) and augmentation."""
    case = int(rng.integers(len(shapes)))
    fg = foreground[case]
    if len(fg) and rng.random() < foreground_fraction:
        centre = fg[rng.integers(len(fg))]
    else:
        centre = np.array([rng.integers(0, s) for s in shapes[case]])
    if augment:
        flips = tuple(bool(f) for f in rng.random(3) < 0.5)
        scale = tuple(float(v) for v in rng.uniform(0.9, 1.1, channels))
        shift = tuple(float(v) for v in rng.normal(0, 0.1, channels))
        noise = float(rng.uniform(0, 0.1)) if rng.random() < 0.15 else 0.0
    else:
        flips, scale, shift, noise = (False,) * 3, (1.0,) * channels, (0.0,) * channels, 0.0
    x, y, z = flips
    return PatchParams(
        case, _corner(centre, patch), (x, y, z), scale, shift, noise, int(rng.integers(2**31))
    )


def extract_patch(
    array: np.ndarray, corner: tuple[int, int, int], patch: tuple[int, int, int]
) -> np.ndarray:
    """Cut (..., *patch) from (..., X, Y, Z) at ``corner``, zero-padding outside the volume."""
    out = np.zeros((*array.shape[:-3], *patch), dtype=array.dtype)
    src, dst = [], []
    for c, p, n in zip(corner, patch, array.shape[-3:]):
        lo, hi = max(c, 0), min(c + p, n)
        src.append(slice(lo, max(hi, lo)))
        dst.append(slice(lo - c, lo - c + max(hi - lo, 0)))
    out[(..., *dst)] = array[(..., *src)]
    return out


def augment_patch(
    image: np.ndarray, label: np.ndarray, p: PatchParams
) -> tuple[np.ndarray, np.ndarray]:
    """Apply ``p``'s flips (image (C, ...) and label (...)), intensity scale/shift and noise."""
    for axis, flip in enumerate(p.flips):
        if flip:
            image = np.flip(image, axis=axis + 1)
            label = np.flip(label, axis=axis)
    image = image * np.asarray(p.scale, np.float32)[:, None, None, None]
    image = image + np.asarray(p.shift, np.float32)[:, None, None, None]
    if p.noise_std > 0:
        noise = np.random.default_rng(p.noise_seed).standard_normal(image.shape, dtype=np.float32)
        image = image + p.noise_std * noise
    return np.ascontiguousarray(image, dtype=np.float32), np.ascontiguousarray(label)


class PatchDataset(Dataset):
    """``length`` random patches per epoch from prepared cases.

    Items: (image (C, *patch) float32, target) where target is (3, *patch) float32 region masks
    WT/TC/ET (``target='regions'``) or (*patch) int64 internal labels (``target='labels'``).
    Call ``set_epoch`` before each epoch (before the DataLoader iterator is created).
    """

    def __init__(
        self,
        cache: str,
        case_ids: list[str],
        patch_size_vox: tuple[int, int, int],
        length: int,
        target: str = "regions",
        foreground_fraction: float = 0.33,
        augment: bool = True,
        seed: int = 0,
        channels: list[int] | None = None,
    ) -> None:
        self.cases: list[PreparedCase] = [open_case(cache, cid) for cid in case_ids]
        self.patch = patch_size_vox
        self.length = length
        self.target = target
        self.foreground_fraction = foreground_fraction
        self.augment = augment
        self.seed = seed
        self.epoch = 0
        self.channels = channels
        self.shapes = [tuple(int(s) for s in c.image.shape[1:]) for c in self.cases]
        self.foreground = [_foreground_points(c) for c in self.cases]

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.length

    def params(self, index: int) -> PatchParams:
        rng = np.random.default_rng([self.seed, self.epoch, index])
        n_channels = len(self.channels) if self.channels else self.cases[0].image.shape[0]
        return sample_patch_params(
            rng, self.shapes, self.foreground, self.patch, n_channels,
            self.foreground_fraction, self.augment,
        )  # fmt: skip

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        p = self.params(index)
        case = self.cases[p.case_index]
        source = case.image if self.channels is None else case.image[self.channels]
        image = extract_patch(np.asarray(source), p.corner_vox, self.patch).astype(np.float32)
        label = extract_patch(np.asarray(case.label), p.corner_vox, self.patch)
        image, label = augment_patch(image, label, p)
        if self.target == "regions":
            return torch.from_numpy(image), torch.from_numpy(
                labels_to_regions(label).astype(np.float32)
            )
        return torch.from_numpy(image), torch.from_numpy(label.astype(np.int64))


def _foreground_points(case: PreparedCase, limit: int = 20000) -> np.ndarray:
    if case.label is None:
        raise ValueError(f"case {case.case_id} has no reference segmentation: cannot train on it")
    points = np.argwhere(np.asarray(case.label) > 0)
    if len(points) > limit:
        points = points[np.linspace(0, len(points) - 1, limit).astype(int)]
    return points
