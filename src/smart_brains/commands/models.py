"""``smart-brains models``: the registered architectures and the packaged, trained models."""

from __future__ import annotations

import argparse

from smart_brains.checkpoint import DEFAULT_MODEL, packaged_models, read_packaged
from smart_brains.models.registry import available_models


def add_arguments(p: argparse.ArgumentParser) -> None:
    """``models`` takes no arguments."""


def run(args: argparse.Namespace) -> int:
    print("architectures (train --model):")
    print("\n".join(f"  {name}" for name in available_models()))
    found = packaged_models()
    print("\npackaged models (predict --model NAME):" + ("" if found else " none in this install"))
    for name, path in found.items():
        _, meta = read_packaged(path)
        info, cfg = meta["info"], meta["config"]
        spacing = "x".join(f"{v:g}" for v in cfg.get("spacing_mm") or ()) or "native"
        default = " (the default)" if name == DEFAULT_MODEL else ""
        print(f"  {name}{default}: {cfg['model']}:{cfg['preset']} at {spacing} mm")
        for key in ("trained_on", "real_validation", "not_for"):
            if key in info:
                print(f"    {key.replace('_', ' ')}: {info[key]}")
    return 0
