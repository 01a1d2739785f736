"""Command line: the index of ``smart-brains`` commands.

Each command lives in its own module under ``commands/`` (``add_arguments`` and ``run``);
only the module of the command being run is imported, so a command starts without the imports
of the others (``predict`` without the training engine, MONAI or pandas). Errors caused by the
input (``SmartBrainsError``) print one line and exit with code 2.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import sys
import warnings
from collections.abc import Sequence

from smart_brains import __version__
from smart_brains.errors import SmartBrainsError

# name -> (module under smart_brains.commands, one-line help), in the order of a workflow
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("demo", "run the whole pipeline on the embedded synthetic cohort"),
    "synth": ("synth", "write a synthetic BraTS-like cohort (BraTS 2021 layout)"),
    "check": ("check", "check every case of a dataset and list all problems"),
    "prepare": ("prepare", "crop, normalise and cache a dataset for training"),
    "train": ("train", "train a model on a prepared cache"),
    "predict": ("predict", "segment cases with a trained run or an ensemble of runs"),
    "tune-postprocessing": (
        "tune_postprocessing",
        "pick minimum WT/TC/ET component sizes on the run's validation cases (out-of-fold "
        "predictions for a folder of folds), for the metric the challenge ranks on",
    ),
    "evaluate": (
        "evaluate",
        "score predictions against references: Dice, HD95, sensitivity, specificity, "
        "lesion-wise Dice and HD95, voxel classification",
    ),
    "submit": (
        "submit",
        "check a folder of segmentations as the BraTS validators do (names, grid, labels of the "
        "challenge's year) and package it as a .zip of <case_id>.nii.gz files",
    ),
    "crossval": (
        "crossval",
        "score a folder of fold runs (train --fold all) on their out-of-fold predictions",
    ),
    "report": ("report", "one self-contained HTML report of a run's validation cases"),
    "view": ("view", "one case and its segmentation in an interactive page (offline HTML)"),
    "classify": ("classify", "case-level classification (grade, tumour type, any label)"),
    "longitudinal": (
        "longitudinal",
        "follow patients over time: volumes, RANO diameters, RANO and RANO 2.0 response",
    ),
    "models": ("models", "list the registered model architectures"),
    "model-info": ("model_info", "parameters, FLOPs (128^3 patch) and receptive fields"),
}
OUTPUT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS}


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """Every command with its help; the arguments of the command ``argv`` names (all of them
    when ``argv`` is None)."""
    parser = argparse.ArgumentParser(
        prog="smart-brains", description="Brain tumour segmentation in multimodal MRI (BraTS)."
    )
    parser.add_argument("--version", action="version", version=f"smart-brains {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    chosen = None if argv is None else next((a for a in argv if not a.startswith("-")), None)
    for name, (module_name, text) in COMMANDS.items():
        p = sub.add_parser(name, help=text, description=text)
        if argv is None or name == chosen:
            module = importlib.import_module(f"smart_brains.commands.{module_name}")
            module.add_arguments(p)
            p.set_defaults(func=module.run)
    return parser


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"smart-brains: warning: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(argv).parse_args(argv)
    warnings.showwarning = _one_line_warning
    try:
        return int(args.func(args))
    except SmartBrainsError as exc:
        print(f"smart-brains: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:  # out of space, no permission, read-only: the user's to fix
        if exc.errno not in OUTPUT_ERRNOS:
            raise
        where = exc.filename or "an output file"
        print(
            f"smart-brains: error: {where}: {exc.strerror}; nothing partial was kept: free space "
            "or write elsewhere, then run the command again",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        print("smart-brains: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head`: the reader has what it wanted
        devnull = os.open(os.devnull, os.O_WRONLY)  # nothing more to flush at exit
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
