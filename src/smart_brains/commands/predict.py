"""``smart-brains predict``: segment cases with a trained run or an ensemble of runs.

It imports the prediction path alone (no training engine, MONAI or pandas before the first
case: a cold start pays for every import)."""

from __future__ import annotations

import argparse
from pathlib import Path

from smart_brains.checkpoint import DEFAULT_MODEL
from smart_brains.commands.common import add_layout, parse_cases
from smart_brains.data.discovery import explicit_case
from smart_brains.data.labels import CONVENTIONS
from smart_brains.data.layouts import LAYOUTS, MODALITIES
from smart_brains.devices import PREDICT_PRECISIONS
from smart_brains.errors import SmartBrainsError
from smart_brains.inference.outputs import extras_folder
from smart_brains.inference.postprocess import PostProcessing
from smart_brains.inference.predict import PredictOptions, predict
from smart_brains.inference.tta import TTA_MODES

DEFAULTS = PredictOptions()


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("data", nargs="?", help="dataset folder or one case folder")
    names_2023 = LAYOUTS["brats2023"].suffixes
    for m in MODALITIES:
        p.add_argument(
            f"--{m}", f"--{names_2023[m]}", dest=m,
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
        "--model", nargs="+", default=[DEFAULT_MODEL],
        help="run folder(s), checkpoint file(s) or packaged model names (`smart-brains "
        "models`); several are ensembled (e.g. five folds). Default: the packaged "
        f"{DEFAULT_MODEL} model",
    )  # fmt: skip
    p.add_argument("--out", required=True, help="folder for <case_id>.nii.gz predictions")
    add_layout(p)
    p.add_argument("--device", default="auto")
    p.add_argument("--cases", help="comma-separated case ids (default: all)")
    p.add_argument(
        "--tta", default=DEFAULTS.tta, choices=TTA_MODES,
        help="mirroring test-time augmentation: 3 = each axis (4 passes), 8 = all (8 passes, "
        "the default, as nnU-Net). With the packaged 2 mm model it costs 1.2x the time of "
        "none; a 1 mm model of your own on a CPU pays about 3x (--tta none to skip it)",
    )  # fmt: skip
    p.add_argument("--overlap", type=float, help="sliding-window overlap (default: the run's)")
    p.add_argument(
        "--precision", default=DEFAULTS.precision, choices=PREDICT_PRECISIONS,
        help="auto: bfloat16 on a GPU and on CPUs with bfloat16 instructions (2x faster here; "
        "labels differ from float32 on under 1 %% of tumour voxels), float32 elsewhere",
    )  # fmt: skip
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
        "--save-uncertainty", action="store_true",
        help="<id>_uncertainty.nii.gz: spread of the probabilities over TTA/ensemble members",
    )  # fmt: skip
    p.add_argument("--overlay", action="store_true", help="<id>_overlay.png, three planes")
    p.add_argument(
        "--view", action="store_true",
        help="<id>_view.html: the case and its prediction in an interactive page (offline)",
    )  # fmt: skip
    p.add_argument("--overwrite", action="store_true", help="redo cases already predicted")


def _data(args: argparse.Namespace):
    """The dataset or case folder given, or a case of the four explicit files."""
    files = {m: getattr(args, m) for m in MODALITIES}  # or BraTS 2023 names
    if any(files.values()):
        if args.data:
            raise SmartBrainsError(
                "give a dataset/case folder or --t1 --t1ce --t2 --flair, not both"
            )
        return explicit_case(files, args.id, args.convention)
    if args.data:
        return args.data
    raise SmartBrainsError("nothing to predict: give a dataset or case folder, or four files")


def case_lines(table, quality) -> str:
    """One line per case: its WT, TC and ET volumes (cm^3) and its quality flag."""
    flags = {} if quality is None else {
        c: f if f == "ok" else f"{f} ({r})"
        for c, f, r in zip(quality["case_id"], quality["flag"], quality["reasons"])
    }  # fmt: skip
    width = max([len("case"), *(len(c) for c in table["case_id"])])
    lines = [f"{'case':<{width}}  {'WT cm3':>8}  {'TC cm3':>8}  {'ET cm3':>8}  quality"]
    for row in table.itertuples():
        lines.append(f"{row.case_id:<{width}}  {row.WT_cm3:8.1f}  {row.TC_cm3:8.1f}  "
                     f"{row.ET_cm3:8.1f}  {flags.get(row.case_id, '-')}")  # fmt: skip
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    data = _data(args)
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
        args.model, data, args.out, args.layout, args.device, parse_cases(args.cases), options,
        extras=extras,
    )  # fmt: skip
    quality = table.attrs.get("quality")
    print(case_lines(table, quality))
    skipped = int((~table["written"]).sum())
    note = f" ({skipped} already there, kept; --overwrite to redo)" if skipped else ""
    print(f"wrote {int(table['written'].sum())} segmentations to {args.out}{note}")
    print(f"volumes.csv, quality.csv and any maps or overlays asked for: {extras}")
    if quality is not None and len(quality):
        review = quality[quality["flag"] == "review"]
        listed = ", ".join(f"{c} ({r})" for c, r in zip(review["case_id"], review["reasons"]))
        print(f"to review ({len(review)} of {len(quality)}): {listed}" if len(review)
              else f"to review: none of {len(quality)}")  # fmt: skip
    if args.view:
        from smart_brains.workflows.view import view_predictions

        pages = view_predictions(data, Path(args.out), list(table["case_id"]), extras)
        print(f"{len(pages)} viewer pages (<case_id>_view.html, open in a browser): {extras}")
    if any(c not in ("case_id", "written", "path") and not c.endswith("_cm3") for c in table):
        print(f"case classes (the model's case-class head): {extras / 'classes.csv'}")
    return 0
