"""``smart-brains tune-postprocessing``: minimum WT/TC/ET component sizes tuned on a run's
validation cases (out of fold for a folder of fold runs)."""

from __future__ import annotations

import argparse
from pathlib import Path

from smart_brains.commands.common import add_challenge, print_tuning
from smart_brains.evaluation.challenges import CHALLENGES
from smart_brains.inference.options import PredictOptions
from smart_brains.inference.tta import TTA_MODES
from smart_brains.paths import RunDir
from smart_brains.workflows.tuning import tune_postprocessing


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("run", help="run folder, or a folder of fold runs (train --fold all)")
    p.add_argument("--cache", help="prepared cache (default: the one the run trained on)")
    p.add_argument("--device", default="auto")
    p.add_argument(
        "--tta", default=PredictOptions().tta, choices=TTA_MODES,
        help="as predict will run (default: predict's)",
    )  # fmt: skip
    add_challenge(p, CHALLENGES)


def run(args: argparse.Namespace) -> int:
    saved = tune_postprocessing(args.run, args.cache, args.device, args.tta, args.challenge)
    print(
        f"tuned for {saved['challenge']} (it ranks on {saved['ranking']}), {saved['cases']} cases"
    )
    for region, results in saved["search"].items():
        tried = "  ".join(f"{size}:{score:.4f}" for size, score in results.items())
        print(f"  min {region} component (voxels: mean score) {tried}")
    print_tuning(saved)
    print(f"saved to {RunDir(Path(args.run)).postprocessing}, used by predict")
    return 0
