"""``smart-brains report``: one self-contained HTML report of a run's validation cases."""

from __future__ import annotations

import argparse

from smart_brains.commands.common import add_challenge
from smart_brains.evaluation.challenges import CHALLENGES
from smart_brains.workflows.report import build_report


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("run", help="run folder")
    p.add_argument("--pred", help="predictions folder (default: RUN/predictions, filled if needed)")
    p.add_argument("--data", help="dataset with the references (default: the run's source data)")
    p.add_argument("--out", help="report folder (default: RUN/report)")
    p.add_argument("--device", default="auto")
    p.add_argument(
        "--classifier", help="a `classify fit` model folder: adds a classification section"
    )
    p.add_argument("--classes", help="classes.csv of the report's cases: class beside each case")
    add_challenge(p, CHALLENGES)


def run(args: argparse.Namespace) -> int:
    report = build_report(
        args.run, args.pred, args.data, args.out, args.device,
        classifier=args.classifier, classes=args.classes, challenge=args.challenge,
    )  # fmt: skip
    print(f"scored as {report.evaluation.challenge.name}")
    print(report.evaluation.summary()[["cases", "dice_mean", "hd95_mm_mean"]].round(3).to_string())
    print(f"report: {report.html}")
    return 0
