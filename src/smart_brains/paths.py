"""RunDir: where every artefact of one training run lives. Paths are passed, never global."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RunDir:
    """Folder of one run: ``config.yaml``, ``metrics.csv``, ``checkpoints/{last,best}.pt``."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / "config.yaml"

    @property
    def metrics(self) -> Path:
        return self.root / "metrics.csv"

    @property
    def checkpoints(self) -> Path:
        return self.root / "checkpoints"

    @property
    def last(self) -> Path:
        return self.checkpoints / "last.pt"

    @property
    def best(self) -> Path:
        return self.checkpoints / "best.pt"

    @property
    def predictions(self) -> Path:
        return self.root / "predictions"

    @property
    def postprocessing(self) -> Path:
        """Tuned post-processing (``smart-brains tune-postprocessing``), read by predict."""
        return self.root / "postprocessing.json"

    @property
    def curves(self) -> Path:
        return self.root / "training_curves.png"

    def create(self) -> RunDir:
        self.checkpoints.mkdir(parents=True, exist_ok=True)
        return self
