"""Command line: thin subcommands over the library functions of the same names.

Errors caused by the input (``SmartBrainsError``) print one line and exit with code 2.
"""

from __future__ import annotations

import argparse
import errno
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from smart_brains import __version__
from smart_brains.classification.cli import add_classify_steps
from smart_brains.data.labels import CONVENTIONS
from smart_brains.data.layouts import LAYOUTS, parse_modalities
from smart_brains.errors import DataError, SmartBrainsError
from smart_brains.inference.tta import TTA_MODES
from smart_brains.paths import write_csv

OUTPUT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.EROFS}


def _layout(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--layout", choices=sorted(LAYOUTS), help="force a dataset layout (default: auto-detect)"
    )


def _challenge(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--challenge",
        help="score by this challenge's rules (HD95 definition, lesion matching, regions): "
        "brats2021, brats2023-gli, brats2023-ssa, brats2023-ped, brats2023-men, brats2023-met, "
        "brats2024-gli; default: the one the case names point to (BraTS-MEN-... -> "
        "brats2023-men, BraTS2021_... -> brats2021)",
    )


def _cases(text: str | None) -> list[str] | None:
    return [c.strip() for c in text.split(",") if c.strip()] if text else None


def cmd_synth(args: argparse.Namespace) -> int:
    from smart_brains.synth.cohort import synth_cohort

    folders = synth_cohort(
        args.out, args.n, args.seed, args.spacing, args.workers,
        held_out=args.held_out, brain=args.brain,
    )  # fmt: skip
    which = "held-out test" if args.held_out else "development"
    print(f"wrote {len(folders)} synthetic {which} cases (BraTS 2021 layout) to {args.out}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from smart_brains.data.check import check_dataset, format_problems

    found, problems = check_dataset(args.data, args.layout, args.workers)
    bad = {p.case_id for p in problems}
    usable = [c for c in found.cases if c.case_id not in bad]
    labelled = sum(c.seg is not None for c in usable)
    print(
        f"{args.data}: layout {found.layout}, {len(usable)} usable cases ({labelled} with a reference)"
    )
    if problems:
        print(f"{len(problems)} problems in {len(bad)} cases:")
        print(format_problems(problems))
        return 2
    return 0


def cmd_prepare(args: argparse.Namespace) -> int:
    from smart_brains.data.cache import prepare

    report = prepare(
        args.data,
        args.out,
        args.layout,
        parse_modalities(args.modalities),
        args.workers,
        args.seed,
        args.folds,
    )
    print(
        f"prepared {report.prepared} cases, {report.skipped} already up to date, in {report.cache}"
    )
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from smart_brains.config import load_config
    from smart_brains.training.loop import fit

    cfg = load_config(
        args.config,
        cache=args.cache,
        name=args.name,
        runs_dir=args.runs_dir,
        model=args.model,
        preset=args.preset,
        epochs=args.epochs,
        steps_per_epoch=args.steps_per_epoch,
        lr=args.lr,
        batch_size=args.batch_size,
        loss=args.loss,
        optimizer=args.optimizer,
        augment=args.augment,
        acquisition_augment=args.acquisition_augment,
        modalities=parse_modalities(args.modalities) if args.modalities else None,
        patch_size_vox=(args.patch_size,) * 3 if args.patch_size else None,
        device=args.device,
        seed=args.seed,
        num_workers=args.workers,
        precision=args.precision,
        compile=args.compile,
        deterministic=args.deterministic,
        checkpoint_every=args.checkpoint_every,
        time_budget_s=args.time_budget,
        class_target=args.target,
        labels=args.labels,
        class_weight=args.class_weight,
        fold=None if args.fold == "all" else args.fold,
    )
    if args.fold == "all":  # every fold in turn, each resumed where it stopped
        from smart_brains.training.loop import fit_all_folds

        runs = fit_all_folds(cfg)
        if os.environ.get("RANK", "0") == "0":
            print(f"trained {len(runs)} folds in {runs[0].root.parent}; "
                  f"`smart-brains predict --model {runs[0].root.parent}` ensembles them")  # fmt: skip
        return 0
    run = fit(cfg, resume=args.resume is not None)
    if os.environ.get("RANK", "0") == "0":  # under torchrun, rank 0 speaks for all
        print(f"run folder: {run.root} (best checkpoint {run.best}, metrics {run.metrics})")
    return 0


def cmd_predict(args: argparse.Namespace) -> int:
    from smart_brains.data.discovery import explicit_case
    from smart_brains.inference.postprocess import PostProcessing
    from smart_brains.inference.predict import PredictOptions, extras_folder, predict

    files = {m: getattr(args, m) for m in ("t1", "t1ce", "t2", "flair")}  # or BraTS 2023 names
    if any(files.values()):
        if args.data:
            raise SmartBrainsError(
                "give a dataset/case folder or --t1 --t1ce --t2 --flair, not both"
            )
        data = explicit_case(files, args.id, args.convention)
    elif args.data:
        data = args.data
    else:
        raise SmartBrainsError("nothing to predict: give a dataset or case folder, or four files")
    options = PredictOptions(
        tta=args.tta,
        overlap=args.overlap,
        post=PostProcessing.parse(args.min_voxels) if args.min_voxels else None,
        probabilities=args.save_probabilities,
        uncertainty=args.save_uncertainty,
        overlay=args.overlay,
        overwrite=args.overwrite,
        precision=args.precision,
    )
    extras = Path(args.extras) if args.extras else extras_folder(args.out)
    table = predict(
        args.model, data, args.out, args.layout, args.device, _cases(args.cases), options,
        extras=extras,
    )  # fmt: skip
    volumes = table.drop(columns=["path", "written"]).set_index("case_id").round(2)
    print(volumes.to_string())
    write_csv(table, extras / "volumes.csv", index=False)
    skipped = int((~table["written"]).sum())
    note = f" ({skipped} already there, kept; --overwrite to redo)" if skipped else ""
    print(f"wrote {int(table['written'].sum())} segmentations to {args.out}{note}")
    print(f"volumes, and any maps or overlays asked for: {extras}")
    if any(c not in ("case_id", "written", "path") and not c.endswith("_cm3") for c in table):
        print(f"case classes (the model's case-class head): {extras / 'classes.csv'}")
    return 0


def cmd_tune_postprocessing(args: argparse.Namespace) -> int:
    from smart_brains.inference.tuning import tune_postprocessing

    saved = tune_postprocessing(args.run, args.cache, args.device, args.tta, args.challenge)
    print(
        f"tuned for {saved['challenge']} (it ranks on {saved['ranking']}), {saved['cases']} cases"
    )
    for region, results in saved["search"].items():
        tried = "  ".join(f"{size}:{score:.4f}" for size, score in results.items())
        print(f"  min {region} component (voxels: mean score) {tried}")
    _print_tuning(saved)
    print(f"saved to {Path(args.run) / 'postprocessing.json'}, used by predict")
    return 0


def cmd_submit(args: argparse.Namespace) -> int:
    from smart_brains.evaluation.challenges import get_challenge
    from smart_brains.inference.submission import check_submission, write_archive

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


def _print_tuning(saved: dict) -> None:
    """Both Dice scores per region before and after the tuned post-processing."""
    print("region  Dice before -> after   lesion-wise Dice before -> after")
    for region, before in saved["before"].items():
        after = saved["after"][region]
        print(
            f"{region:>6}  {before['dice']:.4f} -> {after['dice']:.4f}      "
            f"{before['lesion_dice']:.4f} -> {after['lesion_dice']:.4f}"
        )
    sizes = ", ".join(f"{r} {v}" for r, v in saved["min_voxels"].items())
    print(f"chosen minimum component sizes (voxels): {sizes}")


def _print_scores(result, heading: str) -> None:
    """The summary table of an ``Evaluation``, headed by what was scored and the rules."""
    rules = result.challenge
    print(f"{heading}, scored as {rules.name} ({rules.title}; ranked on {rules.ranking_column}):")
    columns = [
        f"{m}_{s}" for m in ("dice", "hd95_mm", "lesion_dice", "lesion_hd95_mm")
        for s in ("mean", "median")
    ]  # fmt: skip
    print(result.summary()[["cases", *columns]].round(4).to_string())


def cmd_evaluate(args: argparse.Namespace) -> int:
    from smart_brains.evaluation.evaluate import evaluate

    result = evaluate(args.pred, args.data, args.layout, _cases(args.cases), args.challenge)
    pred = Path(args.pred)
    out = Path(args.out) if args.out else pred.parent / f"{pred.resolve().name}-evaluation"
    paths = result.write(out)
    _print_scores(result, f"{len(result.confusion)} cases")
    print(f"\nvoxel classification (all cases):\n{result.classification().round(4).to_string()}")
    print(f"\nper-case scores: {paths['scores']}; everything: {out}")
    return 0


def cmd_crossval(args: argparse.Namespace) -> int:
    from smart_brains.evaluation.crossval import crossval_scores

    result, out = crossval_scores(args.runs, args.data, args.device, challenge=args.challenge)
    _print_scores(
        result, f"cross-validation, out-of-fold predictions of {len(result.confusion)} cases"
    )
    print(f"\nper-case scores and summary: {out}")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from smart_brains.reports.report import build_report

    report = build_report(
        args.run, args.pred, args.data, args.out, args.device,
        classifier=args.classifier, classes=args.classes, challenge=args.challenge,
    )  # fmt: skip
    print(f"scored as {report.evaluation.challenge.name}")
    print(report.evaluation.summary()[["cases", "dice_mean", "hd95_mm_mean"]].round(3).to_string())
    print(f"report: {report.html}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from smart_brains.demo import DemoConfig, run_demo

    cfg = DemoConfig(
        out=args.out, n_cases=args.n, epochs=args.epochs, device=args.device, workers=args.workers
    )
    result = run_demo(cfg)
    columns = ["cases", "dice_mean", "hd95_mm_mean"]
    print("\nValidation cases (anatomies no training case has), per-region scores:")
    print(result.summary[columns].round(3).to_string())
    print("\nHeld-out test cases (another brain, an acquisition site training never saw):")
    print(result.test_summary[columns].round(3).to_string())
    print(
        "\nPost-processing tuned for brats2023-gli, which ranks on lesion-wise Dice (on the "
        f"{result.postprocessing['cases']} validation cases):"
    )
    _print_tuning(result.postprocessing)
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


def cmd_models(args: argparse.Namespace) -> int:
    from smart_brains.models.registry import available_models

    print("\n".join(available_models()))
    return 0


def cmd_model_info(args: argparse.Namespace) -> int:
    from smart_brains.models.info import format_info, model_info

    name, _, preset = args.name.partition(":")
    print(format_info(model_info(name, preset or args.preset, args.channels)))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="smart-brains", description="Brain tumour segmentation in multimodal MRI (BraTS)."
    )
    parser.add_argument("--version", action="version", version=f"smart-brains {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    def add(
        name: str, func: Callable[[argparse.Namespace], int], help: str
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        p.set_defaults(func=func)
        return p

    p = add("demo", cmd_demo, "run the whole pipeline on the embedded synthetic cohort")
    p.add_argument(
        "--out", default="smart-brains-demo", help="output folder (default: %(default)s)"
    )
    p.add_argument(
        "--n", type=int, default=20, help="number of synthetic cases (default: %(default)s)"
    )
    p.add_argument("--epochs", type=int, default=24)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--device", default="auto")

    p = add("synth", cmd_synth, "write a synthetic BraTS-like cohort (BraTS 2021 layout)")
    p.add_argument("--n", type=int, default=10, help="number of cases")
    p.add_argument("--out", required=True, help="output folder (new or a previous synth output)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--spacing", type=float, default=1.0, help="voxel size in mm (default 1: 240x240x155)"
    )
    p.add_argument("--workers", type=int, default=1)
    p.add_argument(
        "--held-out", action="store_true",
        help="the test cohort: another brain (avg152) at an acquisition site the development "
        "cohort never uses, ids from BraTS2021_90000",
    )  # fmt: skip
    p.add_argument(
        "--brain", default=None,
        help="source brain: mni2009a (development default), avg152 (test default), or a "
        "BraTS case folder whose T1 gives the anatomy (its tumour masked)",
    )  # fmt: skip

    p = add("check", cmd_check, "check every case of a dataset and list all problems")
    p.add_argument("data", help="dataset folder")
    _layout(p)
    p.add_argument("--workers", type=int, default=1)

    p = add("prepare", cmd_prepare, "crop, normalise and cache a dataset for training")
    p.add_argument("data", help="dataset folder")
    p.add_argument("--out", required=True, help="cache folder")
    _layout(p)
    p.add_argument("--modalities", help="comma-separated subset of t1,t1ce,t2,flair (default: all)")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--seed", type=int, default=0, help="seed of the 80:20 split")
    p.add_argument("--folds", type=int, default=0, help="also write K folds (K >= 2)")

    p = add("train", cmd_train, "train a model on a prepared cache")
    p.add_argument("cache", nargs="?", help="prepared cache folder (or `cache:` in --config)")
    p.add_argument("--config", help="YAML config (see configs/); flags override it")
    p.add_argument("--name", help="run name (runs/NAME)")
    p.add_argument("--runs-dir")
    p.add_argument("--model", help="registered architecture (see `smart-brains models`)")
    p.add_argument("--preset", choices=["tiny", "base"])
    p.add_argument("--epochs", type=int)
    p.add_argument("--steps-per-epoch", type=int)
    p.add_argument("--lr", type=float)
    p.add_argument("--batch-size", type=int)
    p.add_argument(
        "--loss", help="dice_bce (default), dice, bce on regions; ce, dice_ce, mdice on labels"
    )
    p.add_argument("--optimizer", help="adamw (default) or sgd")
    p.add_argument("--augment", action=argparse.BooleanOptionalAction, default=None)
    p.add_argument(
        "--acquisition-augment", action=argparse.BooleanOptionalAction, default=None,
        help="every modality its own gamma, scale, shift, bias field and slice thickness "
        "(default on; --no-acquisition-augment: nnU-Net's intensity augmentation alone)",
    )  # fmt: skip
    p.add_argument("--modalities", help="comma-separated subset of t1,t1ce,t2,flair")
    p.add_argument("--patch-size", type=int, help="cubic patch edge in voxels")
    p.add_argument("--device", help="auto, cpu or cuda")
    p.add_argument("--seed", type=int)
    p.add_argument("--workers", type=int, help="data-loader workers")
    p.add_argument("--precision", choices=["auto", "fp32", "bf16", "fp16"])
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
        type=lambda v: v if v == "all" else int(v),
        help="train fold K of `prepare --folds`, or `all`: every fold in turn into "
        "runs/NAME/fold0, fold1... (resumable; predict --model runs/NAME ensembles them); "
        "default: the 80:20 split",
    )
    p.add_argument(
        "--resume",
        nargs="?",
        const="last",
        choices=["last"],
        help="continue the run from its last checkpoint (`--resume` or `--resume last`)",
    )

    p = add("predict", cmd_predict, "segment cases with a trained run or an ensemble of runs")
    p.add_argument("data", nargs="?", help="dataset folder or one case folder")
    for m, name_2023 in (("t1", "t1n"), ("t1ce", "t1c"), ("t2", "t2w"), ("flair", "t2f")):
        p.add_argument(
            f"--{m}", f"--{name_2023}", dest=m,
            help=f"{m} NIfTI file (instead of a folder: give all four; BraTS 2023 names too)",
        )  # fmt: skip
    p.add_argument(
        "--id", help="case id for explicit files (default: from the contrast-enhanced file's name)"
    )
    p.add_argument(
        "--convention",
        choices=sorted(CONVENTIONS),
        help="label convention written for explicit files (default: from their names: "
        "BraTS-GLI-...-t1c.nii.gz -> brats2023, else brats2021)",
    )
    p.add_argument(
        "--model",
        required=True,
        nargs="+",
        help="run folder(s) or checkpoint file(s); several are ensembled (e.g. five folds)",
    )
    p.add_argument("--out", required=True, help="folder for <case_id>.nii.gz predictions")
    _layout(p)
    p.add_argument("--device", default="auto")
    p.add_argument("--cases", help="comma-separated case ids (default: all)")
    p.add_argument(
        "--tta",
        default="none",
        choices=TTA_MODES,
        help="mirroring test-time augmentation: 3 = each axis (4 passes), 8 = all (8 passes). "
        "Default none: on a CPU the mirrors cost about 7 times the network's time (11 s "
        "instead of 4 s per case from process start here); on a GPU use --tta 8, as nnU-Net "
        "mirrors by default",
    )
    p.add_argument("--overlap", type=float, help="sliding-window overlap (default: the run's)")
    p.add_argument(
        "--precision",
        default="auto",
        choices=["auto", "bf16", "fp32"],
        help="auto: bfloat16 on a GPU and on CPUs with bfloat16 instructions (2x faster here; "
        "labels differ from float32 on under 1 %% of tumour voxels), float32 elsewhere",
    )
    p.add_argument(
        "--min-voxels",
        help="WT,TC,ET: components smaller than this many voxels are removed (WT), become "
        "oedema (TC) or necrosis (ET), e.g. 50,0,200 (default: the run's tuned sizes, else none)",
    )
    p.add_argument(
        "--extras",
        help="folder for everything but segmentations: volumes.csv, classes.csv, maps, overlays "
        "(default: OUT-extras/ beside OUT, so that OUT holds <case_id>.nii.gz files only)",
    )
    p.add_argument("--save-probabilities", action="store_true", help="<id>_probabilities.npz")
    p.add_argument(
        "--save-uncertainty",
        action="store_true",
        help="<id>_uncertainty.nii.gz: spread of the probabilities over TTA/ensemble members",
    )
    p.add_argument("--overlay", action="store_true", help="<id>_overlay.png, three planes")
    p.add_argument("--overwrite", action="store_true", help="redo cases already predicted")

    p = add(
        "tune-postprocessing",
        cmd_tune_postprocessing,
        "pick minimum WT/TC/ET component sizes on the run's validation cases (out-of-fold "
        "predictions for a folder of folds), for the metric the challenge ranks on",
    )
    p.add_argument("run", help="run folder, or a folder of fold runs (train --fold all)")
    p.add_argument("--cache", help="prepared cache (default: the one the run trained on)")
    p.add_argument("--device", default="auto")
    p.add_argument("--tta", default="none", choices=TTA_MODES)
    _challenge(p)

    p = add(
        "evaluate",
        cmd_evaluate,
        "score predictions against references: Dice, HD95, sensitivity, specificity, "
        "lesion-wise Dice and HD95, voxel classification",
    )
    p.add_argument("pred", help="folder of <case_id>.nii.gz predictions")
    p.add_argument("data", help="dataset folder with the references")
    _layout(p)
    p.add_argument(
        "--out",
        help="folder for the CSVs, JSON and confusion PNG (default: PRED-evaluation/ beside "
        "PRED, so that PRED holds segmentations only)",
    )
    p.add_argument("--cases", help="comma-separated case ids (default: all labelled)")
    _challenge(p)

    p = add(
        "submit", cmd_submit,
        "check a folder of segmentations as the BraTS validators do (names, grid, labels of the "
        "challenge's year) and package it as a .zip of <case_id>.nii.gz files",
    )  # fmt: skip
    p.add_argument("pred", help="folder of <case_id>.nii.gz segmentations (predict --out)")
    p.add_argument(
        "--challenge", required=True,
        help="brats2021, brats2023-gli, brats2023-ssa, brats2023-ped, brats2023-men, "
        "brats2023-met or brats2024-gli",
    )  # fmt: skip
    p.add_argument("--out", help="archive to write (.zip); without it, only check")
    p.add_argument("--data", help="dataset predicted: also check every case is there, on its grid")
    _layout(p)

    p = add(
        "crossval", cmd_crossval,
        "score a folder of fold runs (train --fold all) on their out-of-fold predictions",
    )  # fmt: skip
    p.add_argument("runs", help="folder of fold runs, e.g. runs/NAME")
    p.add_argument("--data", help="dataset with the references (default: the runs' source data)")
    _challenge(p)
    p.add_argument("--device", default="auto")

    p = add("report", cmd_report, "one self-contained HTML report of a run's validation cases")
    p.add_argument("run", help="run folder")
    p.add_argument("--pred", help="predictions folder (default: RUN/predictions, filled if needed)")
    p.add_argument("--data", help="dataset with the references (default: the run's source data)")
    p.add_argument("--out", help="report folder (default: RUN/report)")
    p.add_argument("--device", default="auto")
    p.add_argument(
        "--classifier", help="a `classify fit` model folder: adds a classification section"
    )
    p.add_argument("--classes", help="classes.csv of the report's cases: class beside each case")
    _challenge(p)

    p = add("classify", lambda a: 2, "case-level classification (grade, tumour type, any label)")
    add_classify_steps(p, _layout, _cases)

    add("models", cmd_models, "list the registered model architectures")
    p = add("model-info", cmd_model_info, "parameters, FLOPs (128^3 patch) and receptive fields")
    p.add_argument("name", help="model name, optionally with a preset: multiscale:base")
    p.add_argument("--preset", default="tiny", choices=["tiny", "base"])
    p.add_argument("--channels", type=int, default=4, help="input modalities (default 4)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
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


if __name__ == "__main__":
    sys.exit(main())
