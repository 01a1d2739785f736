"""Case classification on the embedded cohort: radiomics against the volume baseline, on grade
(HGG vs LGG, gliomas only) and on tumour type (glioma, metastasis, meningioma), with features
from the reference segmentations and from predicted ones; time of feature extraction per case.

A segmentation model (multiscale:tiny, ``--train-s`` seconds) is trained on a separate
synthetic cohort (another seed), then segments the classification cohort, so the "predicted"
rows use segmentations of cases the segmentation model never saw. Classifiers are scored by
5-fold cross-validation (stratified, grouped by patient) with a 95 % bootstrap AUC interval.

    python benchmarks/classification.py [--n 60] [--train-s 600] [--work benchmarks/work/cls]

``--train-s 0`` skips the predicted segmentations (reference rows only, a quick look).
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from datetime import date
from pathlib import Path

import pandas as pd

from smart_brains.classification.classify import fit_classifier
from smart_brains.classification.features import feature_table
from smart_brains.classification.models import ClassifierConfig
from smart_brains.config import TrainConfig
from smart_brains.data.cache import prepare
from smart_brains.data.discovery import discover
from smart_brains.inference.predict import predict
from smart_brains.synth.cohort import synth_cohort
from smart_brains.training.loop import fit

RESULTS = Path(__file__).parent / "RESULTS.md"


def segmentation_model(work: Path, seconds: float, seed: int) -> Path:
    run = work / "runs" / "seg"
    if (run / "checkpoints" / "best.pt").exists():
        return run
    synth_cohort(work / "seg-data", n_cases=20, seed=seed + 1, spacing_mm=2.0, workers=2)
    prepare(work / "seg-data", work / "seg-cache", workers=2, progress=False)
    cfg = TrainConfig(
        cache=str(work / "seg-cache"), name="seg", runs_dir=str(work / "runs"), epochs=100,
        time_budget_s=seconds, num_workers=2, device="cpu", val_every=100,
    )  # fmt: skip
    return fit(cfg).root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=60)
    parser.add_argument("--train-s", type=float, default=600)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--work", default=str(Path(__file__).parent / "work" / "cls"))
    args = parser.parse_args()
    work = Path(args.work)
    data = work / "cohort"
    synth_cohort(data, n_cases=args.n, seed=args.seed, spacing_mm=2.0, workers=2)
    cases = discover(data)
    sources: list[tuple[str, Path | None]] = [("reference", None)]
    if args.train_s:
        run = segmentation_model(work, args.train_s, args.seed)
        predict(run, data, work / "pred", device="cpu", progress=False)
        sources.append(("predicted", work / "pred"))

    rows, timing = [], {}
    for source, seg_dir in sources:
        seg_paths = (
            {c.case_id: work / "pred" / f"{c.case_id}.nii.gz" for c in cases} if seg_dir else None
        )
        started = time.perf_counter()
        table = feature_table(cases, seg_paths, workers=1)
        timing[source] = (time.perf_counter() - started) / len(cases)
        for target in ("grade", "kind"):
            for estimator in ("logistic", "forest"):
                cfg = ClassifierConfig(target=target, estimator=estimator, seed=0)
                result = fit_classifier(data, work / f"model-{source}-{target}-{estimator}", cfg,
                                        seg_dir=seg_dir, features=table, progress=False)  # fmt: skip
                summary = result.summary()
                for model, row in summary.iterrows():
                    if model.startswith("volumes") and estimator == "forest":
                        continue  # the baseline does not depend on the estimator
                    name = f"radiomics + {estimator}" if model == "radiomics" else model
                    rows.append({"segmentation": source, "target": target, "model": name, **row})
    frame = pd.DataFrame(rows)
    print(frame.round(3).to_string())
    if args.train_s:
        write_results(frame, timing, args, len(cases))


def write_results(frame: pd.DataFrame, timing: dict[str, float], args, n_cases: int) -> None:
    lines = [
        f"\n## Case classification: {date.today()}, {platform.machine()} ({os.cpu_count()} CPU cores)\n",
        f"Command: `python benchmarks/classification.py --n {args.n} --train-s {args.train_s:g}`. "
        f"{n_cases} synthetic cases at 2 mm (seed {args.seed}); grade is scored on the gliomas "
        "only. Predicted segmentations come from multiscale:tiny trained "
        f"{args.train_s:g} s on 20 other synthetic cases. Cross-validated (5 folds, stratified, "
        "grouped by patient), AUC with 95 % bootstrap interval:\n",
        "| segmentation | target | model | cases | AUC (95 % CI) | balanced accuracy | Brier |",
        "|---|---|---|---|---|---|---|",
    ]
    for _, r in frame.iterrows():
        lines.append(
            f"| {r['segmentation']} | {r['target']} | {r['model']} | {int(r['cases'])} | "
            f"{r['auc']:.3f} ({r['auc_low']:.3f}-{r['auc_high']:.3f}) | "
            f"{r['balanced_accuracy']:.3f} | {r['brier']:.3f} |"
        )
    lines.append(
        "\nFeature extraction (reading the NIfTI files, PyRadiomics on 5 sub-regions x 4 "
        "modalities, volumes and location), one process: "
        + ", ".join(f"{k} {v:.2f} s per case" for k, v in timing.items())
        + ". Every case shares the MNI152 anatomy (the generator's limit): these numbers say the "
        "pipeline separates what the generator makes separable, not how it does on real data.\n"
    )
    with RESULTS.open("a") as f:
        f.write("\n".join(lines))


if __name__ == "__main__":
    main()
