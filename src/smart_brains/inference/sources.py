"""Where a prediction's models come from: run folders, checkpoint files, folders of fold runs
and packaged models (``smart-brains models``), and the post-processing tuned with them."""

from __future__ import annotations

import json
from pathlib import Path

from smart_brains.checkpoint import packaged_path, read_packaged
from smart_brains.config import load_config
from smart_brains.errors import DataError
from smart_brains.inference.postprocess import PostProcessing
from smart_brains.paths import RunDir, expand_runs


def _run_of(checkpoint: Path) -> RunDir:
    return RunDir(checkpoint.parent.parent)  # runs/NAME/checkpoints/best.pt


def resolve_model(given: str | Path) -> Path:
    """A run folder, checkpoint or ``.safetensors`` file as given, or the file of the packaged
    model of that name (``smart-brains models``)."""
    path = Path(given)
    if path.exists() or path.suffix or len(path.parts) > 1:
        return path
    return packaged_path(str(given))


def _run_tuning(run: RunDir) -> PostProcessing:
    """The run's tuned post-processing (``tune-postprocessing``), none if it has none."""
    if not run.postprocessing.is_file():
        return PostProcessing()
    try:
        return PostProcessing.from_dict(json.loads(run.postprocessing.read_text()))
    except (ValueError, KeyError, TypeError) as exc:
        raise DataError(
            f"{run.postprocessing}: unreadable ({exc}); run `smart-brains tune-postprocessing "
            f"{run.root}` again or delete the file"
        ) from None


def saved_modalities(model: str | Path) -> tuple[str, ...] | None:
    """The modalities in a run folder's ``config.yaml`` (None for anything else)."""
    run = Path(model)
    if not (run / "config.yaml").is_file():
        runs = expand_runs([run])
        run = runs[0] if runs and (runs[0] / "config.yaml").is_file() else None
        if run is None:
            return None
    try:
        return tuple(load_config(run / "config.yaml").modalities)
    except Exception:  # noqa: BLE001 - a guess only; from_checkpoints reports real problems
        return None


def tuned_postprocessing(first: Path) -> PostProcessing:
    """The tuning beside the first model given: a packaged model's own, a run's, a folder of
    fold runs' (tuned out of fold), or the run of a checkpoint file; none if never tuned."""
    if first.suffix == ".safetensors":
        return PostProcessing.from_dict(read_packaged(first)[1]["info"])
    return _run_tuning(RunDir(first) if first.is_dir() else _run_of(first))
