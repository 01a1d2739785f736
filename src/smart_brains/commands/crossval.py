"""``smart-brains crossval``: score a folder of fold runs on their out-of-fold predictions."""

from __future__ import annotations

import argparse

from smart_brains.commands.common import add_challenge, print_scores
from smart_brains.evaluation.challenges import CHALLENGES
from smart_brains.workflows.crossval import crossval_scores


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("runs", help="folder of fold runs, e.g. runs/NAME")
    p.add_argument("--data", help="dataset with the references (default: the runs' source data)")
    add_challenge(p, CHALLENGES)
    p.add_argument("--device", default="auto")


def run(args: argparse.Namespace) -> int:
    result, out = crossval_scores(args.runs, args.data, args.device, challenge=args.challenge)
    print_scores(
        result, f"cross-validation, out-of-fold predictions of {len(result.confusion)} cases"
    )
    print(f"\nper-case scores and summary: {out}")
    return 0
