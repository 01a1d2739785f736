"""``smart-brains prepare``: crop, normalise and cache a dataset for training."""

from __future__ import annotations

import argparse

from smart_brains.commands.common import add_layout
from smart_brains.data.cache import prepare
from smart_brains.data.layouts import MODALITIES, parse_modalities


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("data", help="dataset folder")
    p.add_argument("--out", required=True, help="cache folder")
    add_layout(p)
    p.add_argument(
        "--modalities", help=f"comma-separated subset of {','.join(MODALITIES)} (default: all)"
    )
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--seed", type=int, default=0, help="seed of the 80:20 split")
    p.add_argument("--folds", type=int, default=0, help="also write K folds (K >= 2)")


def run(args: argparse.Namespace) -> int:
    report = prepare(
        args.data, args.out, args.layout, parse_modalities(args.modalities), args.workers,
        args.seed, args.folds,
    )  # fmt: skip
    print(
        f"prepared {report.prepared} cases, {report.skipped} already up to date, in {report.cache}"
    )
    return 0
