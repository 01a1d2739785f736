"""Training patches sampled from the memory-mapped cache.

Randomness is kept apart from the operation: each item's patch location and augmentation
parameters come from a generator seeded by (seed, epoch, index), so a batch is the same
whatever the number of loader workers, and a resumed run sees exactly the batches it would
have seen.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset

from smart_brains.data.cache import PreparedCase, open_case
from smart_brains.data.preprocess import extract_patch
from smart_brains.models.outputs import IGNORE, REGION_OUTPUT, SegmentationOutput
from smart_brains.training.augment import apply_augment, sample_params


def sample_corner(
    rng: np.random.Generator,
    shapes: list[tuple[int, int, int]],
    foreground: list[np.ndarray],
    patch: tuple[int, int, int],
    foreground_fraction: float,
) -> tuple[int, tuple[int, int, int]]:
    """Draw a case and a patch corner: centred on a tumour voxel with ``foreground_fraction``,
    else anywhere in the case (corners may lie outside: ``extract_patch`` pads)."""
    case = int(rng.integers(len(shapes)))
    fg = foreground[case]
    if len(fg) and rng.random() < foreground_fraction:
        centre = fg[rng.integers(len(fg))]
    else:
        centre = np.array([rng.integers(0, s) for s in shapes[case]])
    x, y, z = (int(c) - p // 2 for c, p in zip(centre, patch))
    return case, (x, y, z)


class PatchDataset(Dataset):
    """``length`` random patches per epoch from prepared cases.

    Items: (image (C, *patch) float32, target, params, case class). The case class is the
    index of the case's class in ``case_classes`` (one per case), or ``IGNORE`` when the patch
    shows no tumour or the case has no class. target is (3, *patch) float32 region
    masks WT/TC/ET (``output`` REGION_OUTPUT) or (*patch) int64 internal labels (LABEL_OUTPUT).
    With ``augment='loader'`` the item is augmented here and params is empty; with
    ``augment='device'`` params holds the augmentation parameters for ``apply_augment`` on the
    training device; with ``augment='none'`` nothing is augmented.
    Call ``set_epoch`` before each epoch (before the DataLoader iterator is created).
    """

    def __init__(
        self,
        cache: str,
        case_ids: list[str],
        patch_size_vox: tuple[int, int, int],
        length: int,
        output: SegmentationOutput = REGION_OUTPUT,
        foreground_fraction: float = 0.33,
        augment: str = "loader",
        seed: int = 0,
        channels: list[int] | None = None,
        case_classes: list[int] | None = None,
        acquisition: bool = True,
    ) -> None:
        self.cases: list[PreparedCase] = [open_case(cache, cid) for cid in case_ids]
        self.patch = patch_size_vox
        self.length = length
        self.output = output
        self.foreground_fraction = foreground_fraction
        self.augment = augment
        self.acquisition = acquisition
        self.seed = seed
        self.epoch = 0
        self.channels = (
            channels if channels is not None else list(range(self.cases[0].image.shape[0]))
        )
        self.shapes = [tuple(int(s) for s in c.image.shape[1:]) for c in self.cases]
        self.foreground = [_foreground_points(c) for c in self.cases]
        self.case_classes = case_classes or [IGNORE] * len(self.cases)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.length

    def __getitem__(
        self, index: int
    ) -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor], torch.Tensor]:
        rng = np.random.default_rng([self.seed, self.epoch, index])
        case_index, corner = sample_corner(
            rng, self.shapes, self.foreground, self.patch, self.foreground_fraction
        )
        case = self.cases[case_index]
        image = extract_patch(np.asarray(case.image[self.channels]), corner, self.patch)
        label = extract_patch(np.asarray(case.label), corner, self.patch)
        x = torch.from_numpy(image.astype(np.float32))
        y = self.output.encode(label)
        # the case's class teaches the case-class head only through patches that show tumour
        case_class = torch.tensor(self.case_classes[case_index] if label.any() else IGNORE)
        params: dict[str, torch.Tensor] = {}
        if self.augment != "none":
            g = torch.Generator().manual_seed(int(rng.integers(2**63 - 1)))
            params = sample_params(g, len(self.channels), self.acquisition)
            if self.augment == "loader":
                batch = {k: v[None] for k, v in params.items()}
                xb, yb = apply_augment(x[None], y[None], batch)
                x, y, params = xb[0], yb[0], {}
        return x, y, params, case_class


def _foreground_points(case: PreparedCase, limit: int = 20000) -> np.ndarray:
    if case.label is None:
        raise ValueError(f"case {case.case_id} has no reference segmentation: cannot train on it")
    points = np.argwhere(np.asarray(case.label) > 0)
    if len(points) > limit:
        points = points[np.linspace(0, len(points) - 1, limit).astype(int)]
    return points
