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
    p.add_argument(
        "--spacing", type=parse_spacing, metavar="MM",
        help="resample every case to this voxel size first: one number (isotropic) or X,Y,Z "
        "in mm (default: as stored); a run trained on the cache records it, and predict "
        "resamples each case to it",
    )  # fmt: skip


def parse_spacing(text: str) -> tuple[float, float, float]:
    """'2' -> (2, 2, 2); '1,1,3' -> (1, 1, 3)."""
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give mm as 2 or 1,1,3") from None
    if len(values) not in (1, 3) or min(values) <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: one or three positive numbers (mm)")
    x, y, z = values * 3 if len(values) == 1 else values
    return (x, y, z)


def run(args: argparse.Namespace) -> int:
    report = prepare(
        args.data, args.out, args.layout, parse_modalities(args.modalities), args.workers,
        args.seed, args.folds, spacing_mm=args.spacing,
    )  # fmt: skip
    at = f" at {'x'.join(f'{v:g}' for v in args.spacing)} mm" if args.spacing else ""
    print(
        f"prepared {report.prepared} cases{at}, {report.skipped} already up to date, in "
        f"{report.cache}"
    )
    return 0
