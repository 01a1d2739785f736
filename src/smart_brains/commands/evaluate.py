"""``smart-brains evaluate``: score predictions against references by one challenge's rules."""

from __future__ import annotations

import argparse

from smart_brains.commands.common import add_challenge, add_layout, parse_cases, print_scores
from smart_brains.evaluation.challenges import CHALLENGES
from smart_brains.workflows.scoring import default_evaluation_folder, score_folder


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("pred", help="folder of <case_id>.nii.gz predictions")
    p.add_argument("data", help="dataset folder with the references")
    add_layout(p)
    p.add_argument(
        "--out",
        help="folder for the CSVs, JSON and confusion PNG (default: PRED-evaluation/ beside "
        "PRED, so that PRED holds segmentations only)",
    )
    p.add_argument("--cases", help="comma-separated case ids (default: all labelled)")
    add_challenge(p, CHALLENGES)


def run(args: argparse.Namespace) -> int:
    out = args.out or default_evaluation_folder(args.pred)
    result, paths = score_folder(
        args.pred, args.data, out, args.layout, parse_cases(args.cases), args.challenge
    )
    print_scores(result, f"{len(result.confusion)} cases")
    print(f"\nvoxel classification (all cases):\n{result.classification().round(4).to_string()}")
    print(f"\nper-case scores: {paths['scores']}; everything: {out}")
    return 0
