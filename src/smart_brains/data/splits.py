"""Deterministic train/validation splits and K folds, saved as ``splits.json``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from smart_brains.errors import DataError
from smart_brains.paths import atomic_path


def make_splits(
    case_ids: list[str], seed: int = 0, val_fraction: float = 0.2, folds: int = 0
) -> dict[str, Any]:
    """Shuffle ``case_ids`` with ``seed`` and split them.

    Args:
        case_ids: case identifiers (order does not matter: they are sorted first).
        seed: shuffling seed; the same ids and seed always give the same split.
        val_fraction: share of cases held out for validation (0.2 = the 80:20 split).
        folds: if >= 2, also K folds of (train, val) covering every case once as validation.

    Returns:
        {"seed", "val_fraction", "train": [...], "val": [...], "folds": [{"train", "val"}, ...]}
    """
    ids = sorted(case_ids)
    order = [ids[i] for i in np.random.default_rng(seed).permutation(len(ids))]
    n_val = int(round(len(ids) * val_fraction))
    if len(ids) >= 2:
        n_val = min(max(n_val, 1), len(ids) - 1)
    val = sorted(order[:n_val])
    train = sorted(order[n_val:])
    fold_list = []
    if folds:
        if folds < 2 or folds > len(ids):
            raise DataError(f"--folds {folds}: need 2 <= folds <= number of cases ({len(ids)})")
        for k in range(folds):
            held = sorted(order[k::folds])
            fold_list.append({"train": sorted(set(ids) - set(held)), "val": held})
    return {
        "seed": seed,
        "val_fraction": val_fraction,
        "train": train,
        "val": val,
        "folds": fold_list,
    }


def save_splits(splits: dict[str, Any], path: Path) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(splits, indent=2))


def load_splits(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise DataError(f"{path}: no splits file; run `smart-brains prepare` first")
    return json.loads(path.read_text())
