"""What a model is trained to output, in one typed place: activation, target encoding, losses,
decoding and validation metric of each kind of output.

- ``REGION_OUTPUT``: 3 sigmoid channels WT, TC, ET (nested regions, nnU-Net's BraTS way); losses
  dice_bce, dice, bce.
- ``LABEL_OUTPUT``: 4 softmax channels background, NCR/NET, ED, ET; losses ce, dice_ce, mdice.
- ``CaseClassOutput``: a case-level softmax over the classes of a label column (grade, tumour
  type...), trained jointly with the segmentation by cross entropy (``training/losses.py``).

Segmentation outputs are validated by the mean Dice of WT, TC and ET; case classes by
balanced accuracy and AUC (``evaluation/classification.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from smart_brains.data.labels import REGIONS, labels_to_regions, regions_to_labels


@dataclass(frozen=True)
class SegmentationOutput:
    """A voxel-wise output; its kinds are the subclasses below (one instance each).

    Attributes:
        name: ``regions`` or ``labels`` (saved in configs and checkpoints through the loss).
        channel_names: one per output channel.
        losses: the loss names (``training/losses.py``) that train this output.
    """

    name: str
    channel_names: tuple[str, ...]
    losses: tuple[str, ...]

    @property
    def channels(self) -> int:
        return len(self.channel_names)

    def activate(self, logits: torch.Tensor) -> torch.Tensor:
        """(B, K, ...) logits -> probabilities."""
        raise NotImplementedError

    def encode(self, labels: np.ndarray) -> torch.Tensor:
        """(...) internal labels -> the training target."""
        raise NotImplementedError

    def decode(self, probs: np.ndarray, threshold: float = 0.5) -> np.ndarray:
        """(K, X, Y, Z) probabilities -> (X, Y, Z) uint8 internal labels."""
        raise NotImplementedError

    def whole_tumour(self, probs: np.ndarray) -> np.ndarray:
        """(K, X, Y, Z) probabilities -> (X, Y, Z) probability of the whole tumour."""
        raise NotImplementedError


@dataclass(frozen=True)
class RegionOutput(SegmentationOutput):
    """Independent sigmoid channels WT, TC, ET (nested regions, nnU-Net's BraTS way)."""

    def activate(self, logits: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(logits)

    def encode(self, labels: np.ndarray) -> torch.Tensor:
        """(...) internal labels -> (3, ...) float32 region masks."""
        return torch.from_numpy(labels_to_regions(labels).astype(np.float32))

    def decode(self, probs: np.ndarray, threshold: float = 0.5) -> np.ndarray:
        """Nested first (p(ET) <= p(TC) <= p(WT)), then thresholded."""
        return regions_to_labels(enforce_nesting(probs) > threshold)

    def whole_tumour(self, probs: np.ndarray) -> np.ndarray:
        return probs[0]


@dataclass(frozen=True)
class LabelOutput(SegmentationOutput):
    """Exclusive softmax channels background, NCR/NET, ED, ET."""

    def activate(self, logits: torch.Tensor) -> torch.Tensor:
        return torch.softmax(logits, 1)

    def encode(self, labels: np.ndarray) -> torch.Tensor:
        """(...) internal labels -> (...) int64 labels."""
        return torch.from_numpy(labels.astype(np.int64))

    def decode(self, probs: np.ndarray, threshold: float = 0.5) -> np.ndarray:
        return probs.argmax(0).astype(np.uint8)

    def whole_tumour(self, probs: np.ndarray) -> np.ndarray:
        return 1.0 - probs[0]


def enforce_nesting(region_probs: np.ndarray) -> np.ndarray:
    """(3, X, Y, Z) probabilities WT, TC, ET -> the same with TC <= WT and ET <= TC."""
    out = np.array(region_probs, copy=True)
    np.minimum(out[1], out[0], out=out[1])
    np.minimum(out[2], out[1], out=out[2])
    return out


REGION_OUTPUT = RegionOutput("regions", REGIONS, ("dice_bce", "dice", "bce"))
LABEL_OUTPUT = LabelOutput("labels", ("BG", "NCR", "ED", "ET"), ("ce", "dice_ce", "mdice"))
SEGMENTATION_OUTPUTS: dict[str, SegmentationOutput] = {
    o.name: o for o in (REGION_OUTPUT, LABEL_OUTPUT)
}
LOSSES: tuple[str, ...] = REGION_OUTPUT.losses + LABEL_OUTPUT.losses


def output_for_loss(loss: str) -> SegmentationOutput:
    """The output a segmentation loss trains."""
    return LABEL_OUTPUT if loss in LABEL_OUTPUT.losses else REGION_OUTPUT


@dataclass(frozen=True)
class CaseClassOutput:
    """A case-level output: softmax over ``classes`` of the label column ``target``.

    Attributes:
        target: label column (``grade``, ``kind``...).
        classes: class names, sorted; logit k is class k.
        weight: weight of its cross entropy beside the segmentation loss.
    """

    target: str
    classes: tuple[str, ...]
    weight: float = 0.2

    def activate(self, logits: torch.Tensor) -> torch.Tensor:
        """(B, K) logits -> (B, K) probabilities."""
        return torch.softmax(logits.float(), dim=1)

    def encode(self, value: str) -> int:
        """A class name -> its index; ``IGNORE`` for an unknown (empty) class."""
        return self.classes.index(value) if value in self.classes else IGNORE

    def decode(self, probabilities: np.ndarray) -> str:
        return self.classes[int(np.argmax(probabilities))]


IGNORE = -100  # cross entropy's ignore_index: cases without a class, patches without tumour
