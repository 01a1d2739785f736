"""``smart-brains view``: one case and its segmentation in an interactive page (offline HTML)."""

from __future__ import annotations

import argparse

from smart_brains.workflows.view import view_case


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("case", help="a case folder (or a dataset folder with --id)")
    p.add_argument("--id", help="the case to show, in a dataset folder")
    p.add_argument(
        "--seg",
        help="segmentation to overlay: a label file, a folder of predictions (e.g. predict's "
        "--out), 'reference' or 'none' (default: the case's reference when it has one)",
    )
    p.add_argument("--out", help="page to write (default ./<case id>.html)")
    p.add_argument(
        "--full-resolution", action="store_true",
        help="keep the images at full resolution in the page (larger; default: backgrounds "
        "shrunk to at most 2 million voxels, labels always at full resolution)",
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    voxels = 10**9 if args.full_resolution else 2_000_000
    path = view_case(args.case, args.out, args.seg, args.id, voxels)
    size = path.stat().st_size / 1e6
    print(f"wrote {path} ({size:.1f} MB): open it in a browser (it works offline)")
    return 0
