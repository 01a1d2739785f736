"""``smart-brains classify fit|predict|evaluate``: the steps of case classification, over
``classification/classify.py``."""

from __future__ import annotations

import argparse
from pathlib import Path

from smart_brains.checkpoint import DEFAULT_MODEL
from smart_brains.classification.classifiers import (
    ESTIMATORS,
    MODELS,
    ClassifierConfig,
)
from smart_brains.classification.classify import evaluate_classes
from smart_brains.commands.common import add_layout, parse_cases
from smart_brains.workflows.classify import (
    REFERENCE,
    Segmentation,
    fit_with_segmentation,
    predict_with_segmentation,
)

DEFAULTS = ClassifierConfig()


def cmd_classify_fit(args: argparse.Namespace) -> int:
    cfg = ClassifierConfig(
        target=args.target, model=args.classifier, estimator=args.estimator,
        n_features=args.n_features, folds=args.folds, seed=args.seed,
    )  # fmt: skip
    segmentation = _segmentation(args)
    result = fit_with_segmentation(
        args.data, args.out, cfg, segmentation, args.labels, args.layout, args.cases, args.workers
    )
    labels = result.labels
    left = f"; {labels.left_out} cases without a {cfg.target} left out" if labels.left_out else ""
    print(
        f"labels: {labels.source}: {len(labels.known)} cases, classes {', '.join(labels.classes)}{left}"
    )
    table = result.summary()[["cases", "auc", "auc_low", "auc_high", "balanced_accuracy", "brier"]]
    print(
        f"\n{result.scores.summary['cases'].iloc[0]}-case cross-validation (up to {cfg.folds} folds, stratified, grouped by patient):"
    )
    print(table.round(3).to_string())
    print(f"{cfg.model}: {result.scores.sentence()}")
    gain = result.scores.summary["auc"].iloc[0] - result.baseline.summary["auc"].iloc[0]
    print(
        f"against the volume baseline: AUC {gain:+.3f}"
        + ("" if gain > 0 else " (it does not beat the baseline)")
    )
    print(f"features from: {_said(segmentation)}")
    print(f"model: {result.folder}")
    return 0


def _segmentation(args: argparse.Namespace) -> Segmentation:
    return Segmentation(args.seg, args.seg_model, args.device)


def _said(segmentation: Segmentation) -> str:
    if segmentation.seg == REFERENCE:
        return ("the reference segmentations (--seg reference): scores on them are optimistic, "
                "new data has no reference")  # fmt: skip
    return segmentation.describe()


def cmd_classify_predict(args: argparse.Namespace) -> int:
    segmentation = _segmentation(args)
    table = predict_with_segmentation(
        args.data, args.model, args.out, segmentation, args.layout, args.cases, args.workers
    )
    print(table.drop(columns="segmentation").round(3).to_string())
    print(f"features from: {_said(segmentation)}")
    if table["in_fit"].any():
        print(f"{int(table['in_fit'].sum())} of these cases were in the fit (in_fit): their "
              "classes say nothing about new data")  # fmt: skip
    print(f"wrote {Path(args.out) / 'classes.csv'}")
    return 0


def cmd_classify_evaluate(args: argparse.Namespace) -> int:
    scores, folder = evaluate_classes(args.classes, args.labels, args.target, args.out)
    print(scores.sentence())
    print(
        f"\n{scores.per_class.round(3).to_string()}\n\nconfusion (rows: true, columns: predicted):"
    )
    print(scores.confusion.to_string())
    print(f"\nwritten to {folder}")
    return 0


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The ``fit``, ``predict`` and ``evaluate`` steps under the ``classify`` parser ``p``."""
    steps = p.add_subparsers(dest="step", required=True)
    fit = steps.add_parser(
        "fit", help="cross-validate and fit a classifier on labelled cases",
        description="Extract radiomics features of every sub-region (reference or --seg "
        "segmentations), cross-validate the classifier and the volume baseline, fit, save.",
    )  # fmt: skip
    fit.add_argument("data", help="dataset folder")
    fit.add_argument("--out", required=True, help="model folder to write")
    fit.add_argument(
        "--target", default=DEFAULTS.target, help="label column (default: %(default)s)"
    )
    fit.add_argument(
        "--labels",
        help="CSV with a case-id column and the target column (default: DATA/labels.csv, else "
        "the labels the dataset carries: HGG/LGG folders, name_mapping.csv, BraTS 2023+ prefixes)",
    )
    fit.add_argument("--classifier", default=DEFAULTS.model, choices=MODELS)
    fit.add_argument("--estimator", default=DEFAULTS.estimator, choices=ESTIMATORS)
    fit.add_argument(
        "--n-features", type=int, default=DEFAULTS.n_features,
        help="features kept (default %(default)s)",
    )  # fmt: skip
    fit.add_argument("--folds", type=int, default=DEFAULTS.folds)
    fit.add_argument("--seed", type=int, default=DEFAULTS.seed)
    pred = steps.add_parser("predict", help="classify cases with a fitted model -> classes.csv")
    pred.add_argument("data", help="dataset folder")
    pred.add_argument("--model", required=True, help="model folder from `classify fit`")
    pred.add_argument("--out", required=True, help="folder for classes.csv")
    ev = steps.add_parser("evaluate", help="score classes.csv against labels")
    ev.add_argument("classes", help="classes.csv")
    ev.add_argument("--labels", required=True, help="CSV with case ids and the target column")
    ev.add_argument("--target", default=DEFAULTS.target)
    ev.add_argument("--out", help="folder for the scores (default: beside classes.csv)")
    for sub_parser in (fit, pred):
        sub_parser.add_argument(
            "--seg", help="where the sub-regions come from: a folder of <case_id>.nii.gz "
            "segmentations, or `reference` (the dataset's own *_seg files: optimistic); "
            "default: segment every case with --seg-model",
        )  # fmt: skip
        sub_parser.add_argument(
            "--seg-model", default=DEFAULT_MODEL,
            help="run folder or packaged model that segments the cases (default: %(default)s)",
        )  # fmt: skip
        sub_parser.add_argument("--device", default="auto", help="where --seg-model runs")
        add_layout(sub_parser)
        sub_parser.add_argument(
            "--cases", type=parse_cases, help="comma-separated case ids (default: all)"
        )
        sub_parser.add_argument(
            "--workers", type=int, default=1, help="feature-extraction processes"
        )


def run(args: argparse.Namespace) -> int:
    return STEPS[args.step](args)


STEPS = {
    "fit": cmd_classify_fit,
    "predict": cmd_classify_predict,
    "evaluate": cmd_classify_evaluate,
}
