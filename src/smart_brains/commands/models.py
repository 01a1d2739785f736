"""``smart-brains models``: the registered architectures."""

from __future__ import annotations

import argparse

from smart_brains.models.registry import available_models


def add_arguments(p: argparse.ArgumentParser) -> None:
    """``models`` takes no arguments."""


def run(args: argparse.Namespace) -> int:
    print("\n".join(available_models()))
    return 0
