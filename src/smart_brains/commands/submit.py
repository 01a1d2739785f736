"""``smart-brains submit``: check segmentations as the BraTS validators do and package them."""

from __future__ import annotations

import argparse

from smart_brains.commands.common import add_challenge, add_layout
from smart_brains.errors import DataError
from smart_brains.evaluation.challenges import CHALLENGES, get_challenge
from smart_brains.inference.submission import check_submission, write_archive


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("pred", help="folder of <case_id>.nii.gz segmentations (predict --out)")
    add_challenge(p, CHALLENGES, required=True)
    p.add_argument("--out", help="archive to write (.zip); without it, only check")
    p.add_argument("--data", help="dataset predicted: also check every case is there, on its grid")
    add_layout(p)


def run(args: argparse.Namespace) -> int:
    challenge = get_challenge(args.challenge)
    check = check_submission(args.pred, challenge, args.data, args.layout)
    if check.left_out:
        print(f"not segmentations, left out: {', '.join(check.left_out)}")
    if check.problems:
        shown = "; ".join(check.problems[:3])
        more = f" (and {len(check.problems) - 3} more)" if len(check.problems) > 3 else ""
        raise DataError(
            f"{args.pred}: {len(check.problems)} problem(s) for {challenge.name}: {shown}{more}; "
            "nothing packaged"
        )
    print(f"{len(check.files)} segmentations pass the {challenge.name} checks")
    if args.out:
        print(f"archive: {write_archive(check.files, args.out)}")
    return 0
