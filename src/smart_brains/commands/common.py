"""Arguments and printing that several commands share."""

from __future__ import annotations

import argparse
from collections.abc import Iterable

from smart_brains.data.layouts import LAYOUTS


def add_layout(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--layout", choices=sorted(LAYOUTS), help="force a dataset layout (default: auto-detect)"
    )


def add_challenge(p: argparse.ArgumentParser, names: Iterable[str], required: bool = False) -> None:
    """``--challenge``, naming the rules table's challenges (``evaluation.challenges``; an
    unknown name is refused there, in one line)."""
    listed = ", ".join(names)
    if required:
        p.add_argument("--challenge", required=True, help=listed)
        return
    p.add_argument(
        "--challenge",
        help=f"score by this challenge's rules (HD95 definition, lesion matching, regions): "
        f"{listed}; default: the one the case names point to (BraTS-MEN-... -> "
        "brats2023-men, BraTS2021_... -> brats2021)",
    )


def parse_cases(text: str | None) -> list[str] | None:
    """``--cases a,b,c`` -> ["a", "b", "c"]; None when not given."""
    return [c.strip() for c in text.split(",") if c.strip()] if text else None


def print_tuning(saved: dict) -> None:
    """Both Dice scores per region before and after the tuned post-processing."""
    print("region  Dice before -> after   lesion-wise Dice before -> after")
    for region, before in saved["before"].items():
        after = saved["after"][region]
        print(
            f"{region:>6}  {before['dice']:.4f} -> {after['dice']:.4f}      "
            f"{before['lesion_dice']:.4f} -> {after['lesion_dice']:.4f}"
        )
    sizes = ", ".join(f"{r} {v}" for r, v in saved["min_voxels"].items())
    print(f"chosen minimum component sizes (voxels): {sizes}")


def print_scores(result, heading: str) -> None:
    """The summary table of an ``Evaluation``, headed by what was scored and the rules."""
    rules = result.challenge
    print(f"{heading}, scored as {rules.name} ({rules.title}; ranked on {rules.ranking_column}):")
    columns = [
        f"{m}_{s}" for m in ("dice", "hd95_mm", "lesion_dice", "lesion_hd95_mm")
        for s in ("mean", "median")
    ]  # fmt: skip
    print(result.summary()[["cases", *columns]].round(4).to_string())
