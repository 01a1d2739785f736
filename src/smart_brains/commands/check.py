"""``smart-brains check``: check every case of a dataset and list all problems."""

from __future__ import annotations

import argparse

from smart_brains.commands.common import add_layout
from smart_brains.data.check import check_dataset, format_problems


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("data", help="dataset folder")
    add_layout(p)
    p.add_argument("--workers", type=int, default=1)


def run(args: argparse.Namespace) -> int:
    found, problems, warnings = check_dataset(args.data, args.layout, args.workers)
    bad = {p.case_id for p in problems}
    usable = [c for c in found.cases if c.case_id not in bad]
    labelled = sum(c.seg is not None for c in usable)
    print(
        f"{args.data}: layout {found.layout}, {len(usable)} usable cases ({labelled} with a reference)"
    )
    if warnings:
        print(f"{len(warnings)} warnings (the cases are usable; look before trusting them):")
        print(format_problems(warnings))
    if problems:
        print(f"{len(problems)} problems in {len(bad)} cases:")
        print(format_problems(problems))
        return 2
    return 0
