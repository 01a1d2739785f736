"""``classify fit|predict`` with their segmentation step: by default each case is segmented
by a model (the packaged one, or ``--seg-model RUN``), so that features come from what a user
will have on new data; a folder of segmentations (``--seg DIR``) or the references (``--seg
reference``, optimistic: said so) when asked. The segmentations are written under the
output folder (``segmentations/``) and kept: a second run reuses them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from smart_brains.checkpoint import DEFAULT_MODEL
from smart_brains.classification.classifiers import ClassifierConfig
from smart_brains.classification.classify import (
    FitResult,
    SegSource,
    fit_classifier,
    predict_classes,
)
from smart_brains.data.discovery import Case
from smart_brains.inference.predict import predict

REFERENCE = "reference"


@dataclass(frozen=True)
class Segmentation:
    """Where classification takes its sub-regions from.

    Attributes:
        seg: ``reference``, a folder of ``<case_id>.nii.gz``, or None: segment with ``model``.
        model: a run folder, checkpoint or packaged model name (default: the packaged one).
        device: where that model runs.
    """

    seg: str | None = None
    model: str = DEFAULT_MODEL
    device: str = "auto"

    def describe(self) -> str:
        if self.seg == REFERENCE:
            return REFERENCE
        return f"folder {self.seg}" if self.seg else f"model {self.model}"

    def source(self, data: Path, layout: str | None, out: Path, progress: bool) -> SegSource:
        """What ``classification.classify`` takes: None, a folder, or a function that segments
        the cases it is given into ``out/segmentations`` (cases already there are kept)."""
        if self.seg == REFERENCE:
            return None
        if self.seg:
            return Path(self.seg)

        def segment(cases: list[Case]) -> Path:
            folder = out / "segmentations"
            ids = [c.case_id for c in cases]
            predict(self.model, data, folder, layout, self.device, ids, progress=progress,
                    extras=out / "segmentations-extras")  # fmt: skip
            return folder

        return segment


def fit_with_segmentation(
    data: str | Path,
    out: str | Path,
    cfg: ClassifierConfig,
    segmentation: Segmentation,
    labels_file: str | Path | None = None,
    layout: str | None = None,
    case_ids: list[str] | None = None,
    workers: int = 1,
    progress: bool = True,
) -> FitResult:
    """``classification.classify.fit_classifier`` on the sub-regions ``segmentation`` says."""
    source = segmentation.source(Path(data), layout, Path(out), progress)
    return fit_classifier(
        data, out, cfg, labels_file, source, layout, case_ids, workers, progress,
        segmentation=segmentation.describe(),
    )  # fmt: skip


def predict_with_segmentation(
    data: str | Path,
    model: str | Path,
    out: str | Path,
    segmentation: Segmentation,
    layout: str | None = None,
    case_ids: list[str] | None = None,
    workers: int = 1,
    progress: bool = True,
) -> pd.DataFrame:
    """``classification.classify.predict_classes`` on the sub-regions ``segmentation`` says."""
    source = segmentation.source(Path(data), layout, Path(out), progress)
    return predict_classes(
        data, model, out, source, layout, case_ids, workers, progress,
        segmentation=segmentation.describe(),
    )  # fmt: skip
