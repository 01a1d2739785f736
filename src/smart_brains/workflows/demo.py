"""``smart-brains demo``: synth -> prepare -> train -> tune post-processing -> predict ->
classify -> evaluate and report, on the embedded cohort.

What it reports is what a user meets on data the model never saw: the validation cases are
anatomies that no training case has (the development cohort, ``synth/cohort.py``), and the test
cases come from another brain scanned at an acquisition site that training never saw (the
held-out test cohort).

Post-processing is tuned for the BraTS 2023 GLI rules, which rank on lesion-wise Dice: there
every stray island of predicted tumour is a false-positive lesion scored 0, so removing small
components changes that score far more than the whole-volume Dice. The demo has no test set
apart from its validation cases, so the sizes are tuned on the cases they are reported on (a
cross-validation tunes them out of fold: ``tune-postprocessing runs/NAME`` on ``--fold all``).

With a packaged model in the install (``smart-brains models``), the demo also segments the test
cases with it, so that a newcomer sees beside the four-minute run what a model trained longer
on real-appearance generated data does.

Classification: a radiomics grade classifier (``classify fit``) is cross-validated and fitted
on the training cases' reference segmentations, then grades the held-out gliomas from their
predicted segmentations (grade applies to gliomas only: the cohort's other tumour types have
none, as in ``labels.csv``)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from smart_brains.checkpoint import DEFAULT_MODEL, packaged_models
from smart_brains.classification.classifiers import ClassifierConfig
from smart_brains.classification.classify import FitResult, fit_classifier, predict_classes
from smart_brains.config import TrainConfig
from smart_brains.data.cache import prepare
from smart_brains.data.splits import split_ids
from smart_brains.evaluation.evaluate import evaluate
from smart_brains.inference.predict import predict
from smart_brains.synth.cohort import synth_cohort
from smart_brains.training.loop import fit
from smart_brains.workflows.report import build_report
from smart_brains.workflows.tuning import tune_postprocessing


@dataclass(frozen=True)
class DemoConfig:
    """The demo's settings: small enough for a laptop CPU in minutes.

    Attributes:
        out: folder for everything the demo writes (data/, cache/, runs/demo/, predictions/).
        n_cases: synthetic development cases; 80 % train, 20 % held out for validation.
        n_test: held-out test cases (another brain, an unseen acquisition site).
        spacing_mm: voxel size of the synthetic cohort (BraTS is 1 mm; 2 mm keeps it fast).
        epochs, steps_per_epoch, batch_size, patch_size_vox: training length and patches.
        val_every: validate every N epochs (and after the last).
        num_workers: data-loader workers (augmentation runs there on a CPU).
        workers: processes for synthesis and preparation.
    """

    out: str = "smart-brains-demo"
    n_cases: int = 20
    n_test: int = 4
    spacing_mm: float = 2.0
    seed: int = 0
    epochs: int = 24
    steps_per_epoch: int = 50
    val_every: int = 2
    num_workers: int = 1
    batch_size: int = 2
    patch_size_vox: tuple[int, int, int] = (48, 48, 48)
    workers: int = 2
    model: str = "multiscale"
    device: str = "auto"


@dataclass
class DemoResult:
    out: Path
    run: Path
    predictions: Path
    scores_csv: Path
    summary: pd.DataFrame  # validation cases (unseen anatomy), per region
    test_summary: pd.DataFrame  # held-out test cohort (unseen brain and site), per region
    report: Path
    grades: pd.DataFrame  # held-out gliomas: true grade, predicted grade, its probability
    postprocessing: dict  # tune_postprocessing's result: sizes, Dice before and after
    classifier_summary: pd.DataFrame  # cross-validated scores on the training cases
    seconds: dict[str, float] = field(default_factory=dict)
    packaged_summary: pd.DataFrame | None = None  # the packaged model on the test cases


def run_demo(cfg: DemoConfig = DemoConfig(), progress: bool = True) -> DemoResult:
    """Run the whole pipeline; idempotent (finished steps are reused when run again)."""
    out = Path(cfg.out)
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[name] = round(now - clock, 1)
        clock = now

    data, cache, test_data = out / "data", out / "cache", out / "test-data"
    synth_cohort(data, cfg.n_cases, cfg.seed, cfg.spacing_mm, cfg.workers, progress)
    synth_cohort(
        test_data, cfg.n_test, cfg.seed, cfg.spacing_mm, cfg.workers, progress, held_out=True
    )
    lap("synth")
    prepare(data, cache, workers=cfg.workers, seed=cfg.seed, progress=progress)
    lap("prepare")
    train_cfg = TrainConfig(
        cache=str(cache),
        name="demo",
        runs_dir=str(out / "runs"),
        model=cfg.model,
        preset="tiny",
        epochs=cfg.epochs,
        steps_per_epoch=cfg.steps_per_epoch,
        batch_size=cfg.batch_size,
        patch_size_vox=cfg.patch_size_vox,
        val_every=cfg.val_every,
        num_workers=cfg.num_workers,
        seed=cfg.seed,
        device=cfg.device,
    ).validate()
    run = fit(train_cfg, resume=True, progress=progress)
    lap("train")
    tuned = tune_postprocessing(run.root, device=cfg.device, challenge="brats2023-gli")
    lap("tune")
    train_ids, val_ids = split_ids(cache)
    predictions = out / "predictions"
    predict(run.root, data, predictions, device=cfg.device, case_ids=val_ids, progress=progress)
    test_predictions = out / "test-predictions"
    predict(run.root, test_data, test_predictions, device=cfg.device, progress=progress)
    lap("predict")
    fitted, graded, classes_csv = _grade(cfg, out, train_ids, val_ids, predictions, progress)
    lap("classify")
    report = build_report(
        run.root, predictions, data, out / "report", cfg.device, progress,
        classifier=out / "classifier", classes=classes_csv,
    )  # fmt: skip
    lap("evaluate+report")
    scores_csv = out / "report" / "evaluation" / "scores.csv"
    summary = report.evaluation.summary()
    test_summary = evaluate(test_predictions, test_data, challenge="brats2021").summary()
    packaged = None
    if DEFAULT_MODEL in packaged_models():  # the model a user gets, on the same test cases
        packaged_predictions = out / "test-predictions-packaged"
        predict(packaged_models()[DEFAULT_MODEL], test_data, packaged_predictions,
                device=cfg.device, progress=progress)  # fmt: skip
        packaged = evaluate(packaged_predictions, test_data, challenge="brats2021").summary()
        lap("packaged model")
    return DemoResult(
        out, run.root, predictions, scores_csv, summary, test_summary, report.html, graded,
        tuned, fitted.summary(), seconds, packaged,
    )  # fmt: skip


def _grade(
    cfg: DemoConfig,
    out: Path,
    train_ids: list[str],
    val_ids: list[str],
    predictions: Path,
    progress: bool,
) -> tuple[FitResult, pd.DataFrame, Path | None]:
    """Fit the radiomics grade classifier on the training cases, grade the held-out gliomas
    from their predicted segmentations; (fit, graded table, classes.csv or None)."""
    data = out / "data"
    grades = pd.read_csv(data / "labels.csv", dtype=str, keep_default_na=False).set_index("case_id")
    fitted = fit_classifier(
        data, out / "classifier", ClassifierConfig(target="grade", seed=cfg.seed),
        case_ids=train_ids, workers=cfg.workers, progress=progress,
    )  # fmt: skip
    gliomas = [c for c in val_ids if grades.loc[c, "grade"]]
    classes_csv = out / "classification" / "classes.csv"
    classes = predict_classes(
        data, out / "classifier", classes_csv.parent, seg_dir=predictions, case_ids=gliomas,
        workers=cfg.workers, progress=progress,
    ) if gliomas else pd.DataFrame(columns=["predicted"])  # fmt: skip
    graded = pd.DataFrame({
        "true grade": grades.loc[classes.index, "grade"],
        "predicted grade": classes["predicted"],
        "probability": [classes.loc[c, f"p_{k}"] for c, k in zip(classes.index, classes["predicted"])],
    })  # fmt: skip
    return fitted, graded, classes_csv if gliomas else None
