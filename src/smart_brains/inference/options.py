"""How to predict (``PredictOptions``) and what one prediction is (``Prediction``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from smart_brains.data.preprocess import uncrop
from smart_brains.devices import PREDICT_PRECISIONS, autocast_dtype
from smart_brains.errors import SmartBrainsError
from smart_brains.inference.postprocess import PostProcessing
from smart_brains.inference.tta import TTA_MODES


@dataclass(frozen=True)
class PredictOptions:
    """How to predict.

    Attributes:
        tta: mirroring test-time augmentation, 'none', '3' or '8' (``tta.flip_sets``). Default
            8, as nnU-Net: with the packaged model on a real 1 mm case it cost 1.24x the time
            from process start on a 2-core CPU (6.0 s against 4.8 s) and raised the mean real
            validation Dice from 0.755 to 0.763 (benchmarks/RESULTS.md, "TTA").
        overlap: sliding-window overlap (fraction of the window); None: the run's.
        post: minimum component sizes of WT, TC, ET (``PostProcessing``); None: the ones
            ``tune-postprocessing`` saved with the (first) run, else none.
        probabilities: also write ``<id>_probabilities.npz`` (float16, (K, X, Y, Z)).
        uncertainty: also write ``<id>_uncertainty.nii.gz``: per output channel, the voxel-wise
            standard deviation of the probabilities over the ensemble x TTA members.
        overlay: also write ``<id>_overlay.png`` (three planes through the tumour).
        overwrite: replace existing outputs (by default, cases already predicted are skipped).
        batch_size: sliding-window patches (TTA mirrors included) per forward pass; None: 2 on
            a CPU (small batches stay in its caches), 8 on a GPU.
        precision: 'auto' (bfloat16 autocast on a GPU, and on a CPU with bfloat16
            instructions, which runs the default network 2x faster here; float32 elsewhere),
            'bf16' or 'fp32'.
    """

    tta: str = "8"
    overlap: float | None = None
    post: PostProcessing | None = None
    probabilities: bool = False
    uncertainty: bool = False
    overlay: bool = False
    overwrite: bool = False
    batch_size: int | None = None
    precision: str = "auto"

    def autocast_dtype(self, device: torch.device) -> torch.dtype | None:
        """The autocast dtype of the network's forward passes on ``device`` (None: float32)."""
        return autocast_dtype(self.precision, device)

    def windows_per_pass(self, device: torch.device) -> int:
        return self.batch_size or (8 if device.type == "cuda" else 2)

    def __post_init__(self) -> None:
        if self.tta not in TTA_MODES:
            raise SmartBrainsError(f"--tta must be one of {', '.join(TTA_MODES)}, not {self.tta!r}")
        if self.precision not in PREDICT_PRECISIONS:
            raise SmartBrainsError(
                f"--precision must be {', '.join(PREDICT_PRECISIONS)}, not {self.precision!r}"
            )
        if self.overlap is not None and not 0 <= self.overlap < 1:
            raise SmartBrainsError(f"--overlap must be in [0, 1), not {self.overlap}")


@dataclass(frozen=True)
class Prediction:
    """One case predicted: internal labels (X, Y, Z) uint8 on its input grid; the mean
    probabilities and their spread over the members, (K, x, y, z) float32 on the brain crop
    ``box`` of the grid ``shape`` (``probabilities``/``spread`` put them on the whole grid, only
    when asked: it costs time); and how many members were averaged."""

    labels: np.ndarray
    cropped_probabilities: np.ndarray
    cropped_spread: np.ndarray
    box: tuple
    shape: tuple[int, int, int]
    members: int
    case_probabilities: np.ndarray | None = None  # (K,) with a case-class head

    @property
    def probabilities(self) -> np.ndarray:
        """(K, X, Y, Z) mean probabilities on the input grid."""
        return uncrop(self.cropped_probabilities, self.box, self.shape)

    @property
    def spread(self) -> np.ndarray:
        """(K, X, Y, Z) standard deviation over the members on the input grid."""
        return uncrop(self.cropped_spread, self.box, self.shape)
