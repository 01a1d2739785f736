"""``smart-brains synth``: write a synthetic BraTS-like cohort."""

from __future__ import annotations

import argparse

from smart_brains.errors import DataError
from smart_brains.synth.cohort import synth_cohort
from smart_brains.synth.glioma import MODES
from smart_brains.synth.real_cohort import real_cohort


def add_arguments(p: argparse.ArgumentParser) -> None:
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
    p.add_argument(
        "--real-source", action="append", metavar="CASE",
        help="build cases from this real case folder instead (four modalities and a seg; "
        "repeat for several): its anatomy, contrasts and tumour moved, re-contrasted and "
        "transplanted (synth/transplant.py). Never a validation case",
    )  # fmt: skip
    p.add_argument(
        "--tumours", choices=("shapes", "transplant", "growth"),
        help="how gliomas are made: 'growth' grows them on the brain's tissue (a "
        "Fisher-Kolmogorov front, every kind and size: synth/glioma.py); default 'shapes' (noisy "
        "spheres) for the template cohort, 'transplant' (the sources' own tumours) with "
        "--real-source, where 'growth' keeps real tumours in 30 %% of the cases",
    )  # fmt: skip
    p.add_argument(
        "--appearance", choices=("fixed", "random"), default="fixed",
        help="'random': each tumour sub-region its own signal and texture per modality "
        "(synth/appearance.py); 'fixed' (default): one contrast table, real tumours as they are",
    )  # fmt: skip
    p.add_argument(
        "--glioma", choices=tuple(MODES),
        help="every case a grown glioma of this kind (test cases of a known failure mode)",
    )  # fmt: skip
    p.add_argument(
        "--timepoints", type=int, metavar="K",
        help="patients scanned K times instead (BraTS 2023 layout, --n patients): the same "
        "anatomy, a tumour that grows, shrinks, vanishes or gains a lesion by known amounts, "
        "and response.csv with the true RANO and RANO 2.0 responses (synth/series.py); with "
        "--tumours growth, dated scans of tumours grown by the growth model with known "
        "parameters (synth/grown_series.py: truth for forecasts)",
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    if args.timepoints is not None:
        from smart_brains.synth.series import series_cohort

        if (
            args.real_source
            or args.held_out
            or args.brain
            or args.glioma
            or args.tumours == "transplant"
        ):
            raise DataError("--timepoints makes its own series (template brain, development "
                            "sites); leave out --real-source, --held-out, --brain, --glioma "
                            "and --tumours transplant")  # fmt: skip
        if args.tumours == "growth":
            from smart_brains.synth.grown_series import growth_series

            truth = growth_series(args.out, args.n, args.timepoints, args.seed, args.spacing,
                                  args.workers)  # fmt: skip
            print(f"wrote {args.n} patients x {args.timepoints} dated scans grown by the growth "
                  f"model (BraTS 2023 layout), {args.out}/timepoints.csv and the truth "
                  f"({args.out}/truth.csv): {len(truth)} scans")  # fmt: skip
            return 0
        table = series_cohort(
            args.out, args.n, args.timepoints, args.seed, args.spacing, args.workers
        )
        print(f"wrote {args.n} patients x {args.timepoints} scans (BraTS 2023 layout) and the "
              f"true responses ({args.out}/response.csv): {len(table)} scans")  # fmt: skip
        return 0
    if args.real_source:
        if args.tumours == "shapes":
            raise DataError("--tumours shapes is for the template cohort; with --real-source "
                            "choose transplant or growth")  # fmt: skip
        folders = real_cohort(
            args.out, args.real_source, args.n, args.seed, args.spacing, args.workers,
            tumours=args.tumours or "transplant", appearance=args.appearance, mode=args.glioma,
        )  # fmt: skip
        print(f"wrote {len(folders)} cases from {len(args.real_source)} real brains to {args.out}")
        return 0
    if args.tumours == "transplant":
        raise DataError(
            "--tumours transplant needs --real-source case folders to take tumours from"
        )
    folders = synth_cohort(
        args.out, args.n, args.seed, args.spacing, args.workers,
        held_out=args.held_out, brain=args.brain, tumours=args.tumours or "shapes",
        appearance=args.appearance, glioma=args.glioma or "",
    )  # fmt: skip
    which = "held-out test" if args.held_out else "development"
    print(f"wrote {len(folders)} synthetic {which} cases (BraTS 2021 layout) to {args.out}")
    return 0
