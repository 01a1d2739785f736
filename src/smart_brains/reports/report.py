"""``smart-brains report RUN``: one self-contained HTML file about a trained run.

It holds the training curves, per-region box plots of Dice and HD95, the metrics table
(leaderboard-style summary and lesion-wise scores), the voxel classification metrics and
confusion matrix, and for the best, median and worst validation case a three-plane overlay
(reference and prediction in BraTS colours) with tumour volumes. The validation cases of the run
are predicted first if the predictions folder lacks them. Tables read as the BraTS leaderboard
(mean ± sd, median, quartiles, plain headers) with the full CSVs linked beside them.

With a case classifier (``classify fit``'s folder) the report gains a classification section:
its cross-validated scores against the volume baseline, ROC curves, calibration, confusion
matrix and most informative features; with case classes (a ``classes.csv`` for the report's
cases) each case shows its predicted class and probability beside its overlay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from smart_brains import __version__
from smart_brains.config import load_config
from smart_brains.data.cache import read_index
from smart_brains.data.discovery import discover
from smart_brains.data.loading import load_case
from smart_brains.data.splits import load_splits, training_split
from smart_brains.errors import DataError
from smart_brains.evaluation.evaluate import Evaluation, evaluate, prediction_path, read_pair
from smart_brains.paths import RunDir, atomic_path
from smart_brains.reports import figures, html


@dataclass(frozen=True)
class Report:
    """The written report (``html``) and the evaluation it shows (also under ``evaluation/``)."""

    html: Path
    evaluation: Evaluation


def build_report(
    run: str | Path,
    pred_dir: str | Path | None = None,
    data: str | Path | None = None,
    out: str | Path | None = None,
    device: str = "auto",
    progress: bool = True,
    classifier: str | Path | None = None,
    classes: str | Path | None = None,
    challenge: str | None = None,
) -> Report:
    """Write ``out/report.html`` (default ``RUN/report/``) and the PNGs behind it; returns it.

    ``data`` defaults to the dataset the run's cache was prepared from, ``pred_dir`` to
    ``RUN/predictions`` (missing validation cases are predicted there first). ``classifier``:
    a ``classify fit`` model folder; ``classes``: a ``classes.csv`` of the report's cases;
    ``challenge``: the scoring rules (default: the dataset's, ``evaluate``).
    """
    run_dir = RunDir(Path(run))
    if not run_dir.config.is_file():
        raise DataError(f"{run}: not a run folder (no config.yaml); pass runs/NAME")
    if not run_dir.metrics.is_file():
        raise DataError(f"{run}: no finished epoch yet (no metrics.csv); train it first")
    cfg = load_config(run_dir.config)
    index = read_index(cfg.cache)
    data = Path(data or index["source"])
    val_ids = training_split(load_splits(Path(cfg.cache) / "splits.json"), cfg.fold, cfg.cache)[1]
    cases = {c.case_id: c for c in discover(data) if c.case_id in set(val_ids) and c.seg}
    if not cases:
        raise DataError(f"{data}: none of the run's validation cases has a reference to report on")
    pred = Path(pred_dir) if pred_dir else run_dir.predictions
    missing = [i for i in cases if not (pred / f"{i}.nii.gz").exists()]
    if missing:
        from smart_brains.inference.predict import predict

        predict(run_dir.root, data, pred, device=device, case_ids=missing, progress=progress)
    out = Path(out) if out else run_dir.root / "report"
    out.mkdir(parents=True, exist_ok=True)

    result = evaluate(pred, data, case_ids=sorted(cases), challenge=challenge)
    rules = result.challenge
    files = result.write(out / "evaluation")
    curves = figures.plot_training_curves(run_dir.metrics, out / "training_curves.png")
    boxes = figures.plot_score_boxes(result.scores, out / "scores_boxplot.png")
    per_case = result.scores.pivot(index="case_id", columns="region", values="dice")
    ranked = per_case.mean(axis=1).sort_values(ascending=False)
    picks = {
        "best": ranked.index[0],
        "median": ranked.index[len(ranked) // 2],
        "worst": ranked.index[-1],
    }

    case_classes = _read_classes(classes)
    case_html = []
    for role, case_id in picks.items():
        case = cases[case_id]
        pred_labels, ref_labels, _ = read_pair(case, prediction_path(pred, case_id), rules)
        image = load_case(case, ("flair",)).image[0]
        png = figures.plot_overlay(
            image, pred_labels, ref_labels, out / f"case_{role}.png", title=f"{role}: {case_id}"
        )
        rows = result.scores[result.scores["case_id"] == case_id].set_index("region")
        shown = rows[["dice", "hd95_mm", "ref_cm3", "pred_cm3"]].rename(columns=PLAIN)
        shown.index.name = "Region"
        case_html.append(
            f"<h3>{role.capitalize()}: {case_id} (mean Dice {ranked[case_id]:.3f})</h3>"
            + '<div class="row">'
            + html.image_tag(png, f"{role} case overlay")
            + f"<div>{html.table(shown)}{_class_line(case_classes, case_id)}</div></div>"
        )

    summary = result.summary()
    csvs = "<p>Full tables: " + ", ".join(
        html.link(files[k], out, files[k].name) for k in ("summary", "scores")
    ) + "</p>"  # fmt: skip
    every_case = per_case.add_prefix("Dice ").join(_volumes(result.scores))
    every_case.index.name = "Case"
    if case_classes is not None:
        every_case = every_case.join(case_classes.rename(columns={"predicted": "Predicted class"}))
    sections = [
        ("Run", html.table(_run_table(cfg, run_dir, len(cases)))),
        ("Training", html.image_tag(curves, "training curves")),
        (f"Scores per region, {rules.name} rules ({rules.title})", html.table(html.leaderboard(summary, {"dice": "Dice", "hd95_mm": "HD95 (mm)"})) + csvs + html.image_tag(boxes, "box plots")),
        (f"Lesion-wise scores, {rules.name} rules" + (" (what it ranks on)" if rules.ranking == "lesion" else " (for information: it ranks on whole-volume scores)"), html.table(html.leaderboard(summary, {"lesion_dice": "Lesion-wise Dice", "lesion_hd95_mm": "Lesion-wise HD95 (mm)"}))),
        ("Sensitivity and specificity", html.table(html.leaderboard(summary, {"sensitivity": "Sensitivity", "specificity": "Specificity"}, 4))),
        ("Voxel classification", html.table(result.classification().rename(columns=str.capitalize).rename_axis("Label"), 4) + html.image_tag(files["confusion_png"], "confusion matrix")),
    ]  # fmt: skip
    if classifier is not None:
        sections.append(("Case classification", _classification_section(Path(classifier), out)))
    sections += [
        ("Cases: best, median, worst", "\n".join(case_html)),
        ("Every case", html.table(every_case)),
    ]
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    document = html.page(
        f"smart-brains report: {run_dir.root.name}",
        sections,
        f"smart-brains {__version__}, {stamp}. Data: {data}. Predictions: {pred}.",
    )
    with atomic_path(out / "report.html") as tmp:
        tmp.write_text(document, encoding="utf-8")
    return Report(out / "report.html", result)


PLAIN = {
    "dice": "Dice",
    "hd95_mm": "HD95 (mm)",
    "ref_cm3": "reference (cm³)",
    "pred_cm3": "predicted (cm³)",
}


def _read_classes(path: str | Path | None) -> pd.DataFrame | None:
    """A ``classes.csv`` as predicted class and its probability per case, or None."""
    if path is None:
        return None
    from smart_brains.classification.classify import read_predictions

    table = read_predictions(path)
    probability = [table.loc[c, f"p_{k}"] for c, k in zip(table.index, table["predicted"])]
    return pd.DataFrame({"predicted": table["predicted"], "probability": probability})


def _class_line(case_classes: pd.DataFrame | None, case_id: str) -> str:
    if case_classes is None or case_id not in case_classes.index:
        return ""
    row = case_classes.loc[case_id]
    return (
        f"<p>Predicted class: <b>{row['predicted']}</b> (probability {row['probability']:.2f})</p>"
    )


def _classification_section(folder: Path, out: Path) -> str:
    """Cross-validated scores of a ``classify fit`` model and its volume baseline, ROC,
    calibration, confusion matrix and the most informative features."""
    from smart_brains.classification.classify import read_predictions
    from smart_brains.classification.models import CaseClassifier
    from smart_brains.evaluation.classification import score_classes

    classifier = CaseClassifier.load(folder)
    truth = pd.read_csv(folder / "labels_used.csv", dtype=str).set_index("case_id").iloc[:, 0]
    oof = read_predictions(folder / "cv_classes.csv")
    baseline = read_predictions(folder / "cv_baseline_classes.csv")
    scores = score_classes(oof, truth)
    target = classifier.config.target
    roc = figures.plot_roc(
        {classifier.config.model: oof, "volumes (baseline)": baseline}, truth, out / "class_roc.png"
    )
    calibration = figures.plot_calibration(oof, truth, out / "class_calibration.png")
    confusion = figures.plot_confusion(
        scores.confusion.to_numpy(), list(scores.confusion.columns), out / "class_confusion.png",
        title=f"{target}: confusion (out-of-fold)", unit="cases",
    )  # fmt: skip
    summary = pd.read_csv(folder / "cv_summary.csv").set_index("model")
    summary = summary.rename(columns={"cases": "Cases", "auc": "AUC", "auc_low": "AUC 95 % CI low",
                                      "auc_high": "AUC 95 % CI high", "balanced_accuracy": "Balanced accuracy",
                                      "accuracy": "Accuracy", "brier": "Brier", "better_than_chance": "Better than chance"})  # fmt: skip
    features = pd.read_csv(folder / "top_features.csv").rename(
        columns={"feature": "Feature", "f_score": "ANOVA F"}
    )
    return (
        f"<p>{target.capitalize()}, {classifier.config.model} classifier, cross-validated "
        f"({classifier.config.folds} folds at most, grouped by patient) on "
        f"{scores.sentence()}.</p>"
        + html.table(summary.rename_axis("Model"))
        + html.table(scores.per_class.rename(columns=str.capitalize).rename_axis("Class"))
        + '<div class="row">' + html.image_tag(roc, "ROC curves") + html.image_tag(calibration, "calibration")
        + "</div>" + html.image_tag(confusion, "case confusion matrix")
        + "<h3>Most informative features (ANOVA F, all cases)</h3>" + html.table(features, 2)
    )  # fmt: skip


def _run_table(cfg, run_dir: RunDir, n_cases: int):
    metrics = pd.read_csv(run_dir.metrics)
    rows = {
        "model": f"{cfg.model}:{cfg.preset}",
        "output": cfg.output.name,
        "modalities": ", ".join(cfg.modalities),
        "patch (voxels)": "x".join(map(str, cfg.patch_size_vox)),
        "epochs trained": int(metrics["epoch"].max()),
        "validation cases reported": n_cases,
    }
    return pd.DataFrame({"value": rows})


def _volumes(scores):
    volumes = scores.pivot(index="case_id", columns="region", values=["ref_cm3", "pred_cm3"])
    kinds = {"ref_cm3": "reference", "pred_cm3": "predicted"}
    volumes.columns = [f"{region} {kinds[kind]} (cm³)" for kind, region in volumes.columns]
    return volumes
