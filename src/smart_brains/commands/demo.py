"""``smart-brains demo``: the whole pipeline on the embedded synthetic cohort."""

from __future__ import annotations

import argparse

from smart_brains.checkpoint import DEFAULT_MODEL
from smart_brains.commands.common import print_tuning
from smart_brains.workflows.demo import DemoConfig, run_demo

DEFAULTS = DemoConfig()


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", default=DEFAULTS.out, help="output folder (default: %(default)s)")
    p.add_argument(
        "--n", type=int, default=DEFAULTS.n_cases,
        help="number of synthetic cases (default: %(default)s)",
    )  # fmt: skip
    p.add_argument("--epochs", type=int, default=DEFAULTS.epochs)
    p.add_argument("--workers", type=int, default=DEFAULTS.workers)
    p.add_argument("--device", default=DEFAULTS.device)


def run(args: argparse.Namespace) -> int:
    cfg = DemoConfig(
        out=args.out, n_cases=args.n, epochs=args.epochs, device=args.device, workers=args.workers
    )
    result = run_demo(cfg)
    columns = ["cases", "dice_mean", "hd95_mm_mean"]
    print("\nValidation cases (anatomies no training case has), per-region scores:")
    print(result.summary[columns].round(3).to_string())
    print("\nHeld-out test cases (another brain, an acquisition site training never saw):")
    print(result.test_summary[columns].round(3).to_string())
    if result.packaged_summary is not None:
        print(f"\nThe same test cases with the packaged model ({DEFAULT_MODEL}, trained on "
              "generated real-appearance data; `smart-brains models`):")  # fmt: skip
        print(result.packaged_summary[columns].round(3).to_string())
    print(
        "\nPost-processing tuned for brats2023-gli, which ranks on lesion-wise Dice (on the "
        f"{result.postprocessing['cases']} validation cases):"
    )
    print_tuning(result.postprocessing)
    print("\nGrade (HGG/LGG) classifier, radiomics, cross-validated on the training cases:")
    print(
        result.classifier_summary[["cases", "auc", "auc_low", "auc_high", "balanced_accuracy"]]
        .round(3)
        .to_string()
    )
    if len(result.grades):
        print("\nHeld-out gliomas graded from their predicted segmentations:")
        print(result.grades.round(3).to_string())
    else:
        print("\nNo glioma among the held-out cases (metastases and meningiomas have no grade).")
    print(f"\ntime (s): {result.seconds}, total {sum(result.seconds.values()):.0f}")
    print(f"data: {result.out / 'data'}\nrun: {result.run}\npredictions: {result.predictions}")
    print(f"scores: {result.scores_csv}\nreport: {result.report} (open it in a browser)")
    return 0
