"""``smart-brains model-info``: parameters, FLOPs (128^3 patch) and receptive fields."""

from __future__ import annotations

import argparse

from smart_brains.models.info import format_info, model_info
from smart_brains.models.registry import PRESETS


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", help="model name, optionally with a preset: multiscale:base")
    p.add_argument("--preset", default=PRESETS[0], choices=PRESETS)
    p.add_argument("--channels", type=int, default=4, help="input modalities (default 4)")


def run(args: argparse.Namespace) -> int:
    name, _, preset = args.name.partition(":")
    print(format_info(model_info(name, preset or args.preset, args.channels)))
    return 0
