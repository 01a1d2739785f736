"""``smart-brains train``: train a model on a prepared cache (one run, or every fold)."""

from __future__ import annotations

import argparse

from smart_brains.config import OPTIMIZERS, load_config
from smart_brains.data.layouts import MODALITIES, parse_modalities
from smart_brains.devices import PRECISIONS
from smart_brains.models.outputs import LABEL_OUTPUT, REGION_OUTPUT
from smart_brains.models.registry import PRESETS
from smart_brains.training.distributed import is_main_process
from smart_brains.training.loop import fit, fit_all_folds

# flag -> TrainConfig field, for the flags that override a field of the same meaning
OVERRIDES = (
    "cache", "name", "runs_dir", "model", "preset", "epochs", "steps_per_epoch", "lr",
    "batch_size", "loss", "optimizer", "augment", "acquisition_augment", "device", "seed",
    "precision", "compile", "deterministic", "checkpoint_every", "labels", "class_weight",
)  # fmt: skip


def _fold(value: str) -> int | str:
    return value if value == "all" else int(value)


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("cache", nargs="?", help="prepared cache folder (or `cache:` in --config)")
    p.add_argument("--config", help="YAML config (see configs/); flags override it")
    p.add_argument("--name", help="run name (runs/NAME)")
    p.add_argument("--runs-dir")
    p.add_argument("--model", help="registered architecture (see `smart-brains models`)")
    p.add_argument("--preset", choices=PRESETS)
    p.add_argument("--epochs", type=int)
    p.add_argument("--steps-per-epoch", type=int)
    p.add_argument("--lr", type=float)
    p.add_argument("--batch-size", type=int)
    p.add_argument(
        "--loss",
        help=f"{', '.join(REGION_OUTPUT.losses)} on regions (default {REGION_OUTPUT.losses[0]}); "
        f"{', '.join(LABEL_OUTPUT.losses)} on labels",
    )
    p.add_argument("--optimizer", help=f"{' or '.join(OPTIMIZERS)} (default {OPTIMIZERS[0]})")
    p.add_argument("--augment", action=argparse.BooleanOptionalAction, default=None)
    p.add_argument(
        "--acquisition-augment", action=argparse.BooleanOptionalAction, default=None,
        help="every modality its own gamma, scale, shift, bias field and slice thickness "
        "(default on; --no-acquisition-augment: nnU-Net's intensity augmentation alone)",
    )  # fmt: skip
    p.add_argument("--modalities", help=f"comma-separated subset of {','.join(MODALITIES)}")
    p.add_argument("--patch-size", type=int, help="cubic patch edge in voxels")
    p.add_argument("--device", help="auto, cpu or cuda")
    p.add_argument("--seed", type=int)
    p.add_argument("--workers", type=int, help="data-loader workers")
    p.add_argument("--precision", choices=PRECISIONS)
    p.add_argument("--compile", action=argparse.BooleanOptionalAction, default=None)
    p.add_argument("--deterministic", action=argparse.BooleanOptionalAction, default=None)
    p.add_argument("--checkpoint-every", type=int, help="also checkpoint every N steps")
    p.add_argument("--time-budget", type=float, help="stop after this many seconds of training")
    p.add_argument(
        "--target",
        help="also train a case-class head on this label column (grade, kind, ...), jointly "
        "with the segmentation (multiscale network); predict then writes classes.csv",
    )
    p.add_argument(
        "--labels",
        help="CSV of case labels for --target (default: the dataset's labels.csv, or the labels "
        "its layout carries: HGG/LGG folders, name_mapping.csv, BraTS 2023+ prefixes)",
    )
    p.add_argument("--class-weight", type=float, help="weight of the case-class loss (default 0.2)")
    p.add_argument(
        "--fold",
        type=_fold,
        help="train fold K of `prepare --folds`, or `all`: every fold in turn into "
        "runs/NAME/fold0, fold1... (resumable; predict --model runs/NAME ensembles them); "
        "default: the 80:20 split",
    )
    p.add_argument(
        "--resume", nargs="?", const="last", choices=["last"],
        help="continue the run from its last checkpoint (`--resume` or `--resume last`)",
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    cfg = load_config(
        args.config,
        **{name: getattr(args, name) for name in OVERRIDES},
        modalities=parse_modalities(args.modalities) if args.modalities else None,
        patch_size_vox=(args.patch_size,) * 3 if args.patch_size else None,
        num_workers=args.workers,
        time_budget_s=args.time_budget,
        class_target=args.target,
        fold=None if args.fold == "all" else args.fold,
    )
    if args.fold == "all":  # every fold in turn, each resumed where it stopped
        runs = fit_all_folds(cfg)
        if is_main_process():
            print(f"trained {len(runs)} folds in {runs[0].root.parent}; "
                  f"`smart-brains predict --model {runs[0].root.parent}` ensembles them")  # fmt: skip
        return 0
    run_dir = fit(cfg, resume=args.resume is not None)
    if is_main_process():  # under torchrun, rank 0 speaks for all
        print(
            f"run folder: {run_dir.root} (best checkpoint {run_dir.best}, metrics {run_dir.metrics})"
        )
    return 0
