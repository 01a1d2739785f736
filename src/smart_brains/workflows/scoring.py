"""Score a folder of predictions and write everything a reader wants beside them: the tables of
``evaluation.evaluate`` and the confusion-matrix figure (drawn here: evaluation never draws)."""

from __future__ import annotations

from pathlib import Path

from smart_brains.data.labels import LABEL_NAMES
from smart_brains.evaluation.evaluate import Evaluation, evaluate
from smart_brains.paths import atomic_path
from smart_brains.reports.figures import plot_confusion


def default_evaluation_folder(pred: str | Path) -> Path:
    """``PRED-evaluation/`` beside ``PRED``, so that ``PRED`` holds segmentations only."""
    pred = Path(pred)
    return pred.parent / f"{pred.resolve().name}-evaluation"


def write_evaluation(result: Evaluation, out: str | Path) -> dict[str, Path]:
    """``result``'s tables and ``confusion.png`` into ``out``; returns every path by name."""
    paths = result.write(out)
    paths["confusion_png"] = Path(out) / "confusion.png"
    with atomic_path(paths["confusion_png"]) as tmp:
        plot_confusion(result.total_confusion(), [LABEL_NAMES[k] for k in range(4)], tmp)
    return paths


def score_folder(
    pred: str | Path,
    data: str | Path,
    out: str | Path | None = None,
    layout: str | None = None,
    case_ids: list[str] | None = None,
    challenge: str | None = None,
) -> tuple[Evaluation, dict[str, Path]]:
    """``evaluate`` ``pred`` against ``data`` and write it all to ``out`` (default
    ``default_evaluation_folder(pred)``); returns the evaluation and the written paths."""
    result = evaluate(pred, data, layout, case_ids, challenge)
    return result, write_evaluation(result, out or default_evaluation_folder(pred))
