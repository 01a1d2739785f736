"""Predict segmentations for a dataset folder with a trained run, in the dataset's convention."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from smart_brains.config import TrainConfig, config_from_dict
from smart_brains.data.discovery import Case, discover
from smart_brains.data.labels import from_internal
from smart_brains.data.loading import load_case
from smart_brains.data.preprocess import normalise_case, uncrop
from smart_brains.errors import DataError
from smart_brains.inference.export import write_segmentation
from smart_brains.inference.sliding_window import predict_probabilities, probabilities_to_labels
from smart_brains.models.registry import build_model
from smart_brains.paths import RunDir
from smart_brains.training.checkpoint import load_checkpoint
from smart_brains.training.loop import resolve_device


@dataclass
class Predictor:
    """A trained model with the config it was trained with."""

    model: nn.Module
    cfg: TrainConfig
    device: torch.device

    @classmethod
    def from_checkpoint(cls, path: str | Path, device: str = "auto") -> Predictor:
        """Load from a checkpoint file, or a run folder (uses its best.pt)."""
        path = Path(path)
        if path.is_dir():
            path = RunDir(path).best
        state = load_checkpoint(path)
        cfg = config_from_dict(state["config"])
        dev = resolve_device(device)
        model = build_model(cfg.model, cfg.preset, len(cfg.modalities), cfg.out_channels)
        model.load_state_dict(state["model"])
        return cls(model.to(dev).eval(), cfg, dev)

    def predict_image(self, image: np.ndarray) -> np.ndarray:
        """Raw (C, X, Y, Z) image in ``cfg.modalities`` order -> (X, Y, Z) uint8 internal labels."""
        normalised, box = normalise_case(image)
        probs = predict_probabilities(
            self.model,
            normalised,
            self.cfg.patch_size_vox,
            self.cfg.target,
            self.cfg.sw_overlap,
            self.device,
        )
        labels = probabilities_to_labels(probs, self.cfg.target)
        return uncrop(labels, box, image.shape[1:])

    def predict_case(self, case: Case, out_dir: Path) -> Path:
        """Predict ``case`` and write ``out_dir/<case_id>.nii.gz`` in the case's convention."""
        target = out_dir / f"{case.case_id}.nii.gz"
        sources = {ref.path.resolve() for ref in case.images} | (
            {case.seg.resolve()} if case.seg else set()
        )
        if target.resolve() in sources:
            raise DataError(f"{target}: would overwrite an input file; choose another --out")
        loaded = load_case(case, self.cfg.modalities)
        labels = from_internal(self.predict_image(loaded.image), case.convention)
        return write_segmentation(labels, loaded.affine, loaded.header, target)


def predict(
    model: str | Path,
    data: str | Path,
    out: str | Path,
    layout: str | None = None,
    device: str = "auto",
    case_ids: list[str] | None = None,
    progress: bool = True,
) -> list[Path]:
    """Predict every case (or ``case_ids``) of the dataset at ``data`` into ``out``."""
    predictor = Predictor.from_checkpoint(model, device)
    cases = discover(data, layout)
    if case_ids is not None:
        wanted = set(case_ids)
        cases = [c for c in cases if c.case_id in wanted]
    written = []
    for case in tqdm(cases, desc="predict", unit="case", disable=None if progress else True):
        written.append(predictor.predict_case(case, Path(out)))
    return written
