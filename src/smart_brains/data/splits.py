"""Deterministic train/validation splits and K folds, saved as ``splits.json``, grouped by
patient: the time points of one BraTS 2023+ patient (``BraTS-GLI-XXXXX-YYY`` with the same
``XXXXX``) always land on the same side (``layouts.patient_id``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from smart_brains.data.layouts import patient_id
from smart_brains.errors import DataError
from smart_brains.paths import atomic_path


def make_splits(
    case_ids: list[str], seed: int = 0, val_fraction: float = 0.2, folds: int = 0
) -> dict[str, Any]:
    """Shuffle the patients of ``case_ids`` with ``seed`` and split them.

    Args:
        case_ids: case identifiers (order does not matter: they are sorted first).
        seed: shuffling seed; the same ids and seed always give the same split.
        val_fraction: share of cases held out for validation (0.2 = the 80:20 split; whole
            patients are held out until at least that many cases are).
        folds: if >= 2, also K folds of (train, val) covering every case once as validation
            (patients dealt to the folds in turn).

    Returns:
        {"seed", "val_fraction", "train": [...], "val": [...], "folds": [{"train", "val"}, ...]}
    """
    ids = sorted(case_ids)
    patients: dict[str, list[str]] = {}
    for case_id in ids:
        patients.setdefault(patient_id(case_id), []).append(case_id)
    groups = list(patients.values())
    order = [groups[i] for i in np.random.default_rng(seed).permutation(len(groups))]
    n_val = int(round(len(ids) * val_fraction))
    if len(ids) >= 2:
        n_val = max(n_val, 1)
    val: list[str] = []
    for group in order:
        if len(val) >= n_val or len(val) + len(group) == len(ids):
            break
        val += group
    train = sorted(set(ids) - set(val))
    val = sorted(val)
    fold_list = []
    if folds:
        if folds < 2 or folds > len(groups):
            raise DataError(
                f"--folds {folds}: need 2 <= folds <= number of patients ({len(groups)})"
            )
        for k in range(folds):
            held = sorted(c for group in order[k::folds] for c in group)
            fold_list.append({"train": sorted(set(ids) - set(held)), "val": held})
    return {
        "seed": seed,
        "val_fraction": val_fraction,
        "train": train,
        "val": val,
        "folds": fold_list,
    }


def training_split(
    splits: dict[str, Any], fold: int, where: str | Path
) -> tuple[list[str], list[str]]:
    """(train, validation) case ids: fold ``fold`` of ``splits``, or the 80:20 split for -1."""
    if fold < 0:
        return splits["train"], splits["val"]
    if fold >= len(splits["folds"]):
        raise DataError(
            f"{where}: --fold {fold} but the cache has {len(splits['folds'])} folds; "
            "prepare it with --folds K (K > fold)"
        )
    chosen = splits["folds"][fold]
    return chosen["train"], chosen["val"]


def split_ids(cache: str | Path, fold: int = -1) -> tuple[list[str], list[str]]:
    """(train, validation) case ids of a prepared cache: its fold ``fold``, or the 80:20
    split for -1 (a run's ``cfg.fold``). The one reader of a run's validation cases."""
    return training_split(load_splits(Path(cache) / "splits.json"), fold, cache)


def save_splits(splits: dict[str, Any], path: Path) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(splits, indent=2))


def load_splits(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise DataError(f"{path}: no splits file; run `smart-brains prepare` first")
    return json.loads(path.read_text())
