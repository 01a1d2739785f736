"""``smart-brains report RUN``: one self-contained HTML file about a trained run.

It holds the training curves, per-region box plots of Dice and HD95, the metrics table
(leaderboard-style summary and lesion-wise scores), the voxel classification metrics and
confusion matrix, and for the best, median and worst validation case a three-plane overlay
(reference and prediction in BraTS colours) with tumour volumes, and the same cases in the
interactive viewer (``reports/viewer.py``: every modality, prediction and reference). It draws what it is given
(``ReportInputs``): predicting and scoring the cases is ``workflows.report``'s. Tables read as the BraTS leaderboard
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
from smart_brains.classification.classifiers import CaseClassifier
from smart_brains.classification.classify import read_predictions
from smart_brains.config import TrainConfig
from smart_brains.data.discovery import Case
from smart_brains.data.loading import load_case
from smart_brains.data.segmentations import prediction_path, read_pair
from smart_brains.evaluation.classification import score_classes
from smart_brains.evaluation.evaluate import Evaluation
from smart_brains.paths import RunDir, atomic_path
from smart_brains.reports import figures, html
from smart_brains.reports.viewer import ViewerCase, embedded, viewer_html


@dataclass(frozen=True)
class Report:
    """The written report (``html``) and the evaluation it shows (also under ``evaluation/``)."""

    html: Path
    evaluation: Evaluation


@dataclass(frozen=True)
class ReportInputs:
    """What a report shows, all of it computed before (``workflows.report`` gathers it).

    Attributes:
        run_dir: the trained run (config, metrics.csv).
        cfg: its config.
        evaluation: the scores of its validation cases; ``files``: their written tables and
            figures (``workflows.scoring.write_evaluation``).
        cases: case id -> ``Case`` of the scored cases (references and images).
        pred: the predictions folder; ``data``: the dataset.
        classifier: a ``classify fit`` model folder, or None; ``classes``: a ``classes.csv``
            of the report's cases, or None.
    """

    run_dir: RunDir
    cfg: TrainConfig
    evaluation: Evaluation
    files: dict[str, Path]
    cases: dict[str, Case]
    pred: Path
    data: Path
    classifier: Path | None = None
    classes: Path | None = None


def write_report(inputs: ReportInputs, out: Path) -> Report:
    """Write ``out/report.html`` and the PNGs behind it from ``inputs``; returns it."""
    result = inputs.evaluation
    rules = result.challenge
    curves = figures.plot_training_curves(inputs.run_dir.metrics, out / "training_curves.png")
    boxes = figures.plot_score_boxes(result.scores, out / "scores_boxplot.png")
    per_case = result.scores.pivot(index="case_id", columns="region", values="dice")
    case_classes = _read_classes(inputs.classes)
    summary = result.summary()
    files = inputs.files
    csvs = "<p>Full tables: " + ", ".join(
        html.link(files[k], out, files[k].name) for k in ("summary", "scores")
    ) + "</p>"  # fmt: skip
    every_case = per_case.add_prefix("Dice ").join(_volumes(result.scores))
    every_case.index.name = "Case"
    if case_classes is not None:
        every_case = every_case.join(case_classes.rename(columns={"predicted": "Predicted class"}))
    sections = [
        ("Run", html.table(_run_table(inputs.cfg, inputs.run_dir, len(inputs.cases)))),
        ("Training", html.image_tag(curves, "training curves")),
        (f"Scores per region, {rules.name} rules ({rules.title})", html.table(html.leaderboard(summary, {"dice": "Dice", "hd95_mm": "HD95 (mm)"})) + csvs + html.image_tag(boxes, "box plots")),
        (f"Lesion-wise scores, {rules.name} rules" + (" (what it ranks on)" if rules.ranking == "lesion" else " (for information: it ranks on whole-volume scores)"), html.table(html.leaderboard(summary, {"lesion_dice": "Lesion-wise Dice", "lesion_hd95_mm": "Lesion-wise HD95 (mm)"}))),
        ("Sensitivity and specificity", html.table(html.leaderboard(summary, {"sensitivity": "Sensitivity", "specificity": "Specificity"}, 4))),
        ("Voxel classification", html.table(result.classification().rename(columns=str.capitalize).rename_axis("Label"), 4) + html.image_tag(files["confusion_png"], "confusion matrix")),
    ]  # fmt: skip
    if inputs.classifier is not None:
        sections.append(("Case classification", _classification_section(inputs.classifier, out)))
    shown, viewer_cases = _case_sections(inputs, per_case, case_classes, out)
    sections += [
        ("Cases: best, median, worst", shown),
        ("The same cases, interactive", _viewer_section(viewer_cases)),
        ("Every case", html.table(every_case)),
    ]
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    document = html.page(
        f"smart-brains report: {inputs.run_dir.root.name}",
        sections,
        f"smart-brains {__version__}, {stamp}. Data: {inputs.data}. Predictions: {inputs.pred}.",
    )
    with atomic_path(out / "report.html") as tmp:
        tmp.write_text(document, encoding="utf-8")
    return Report(out / "report.html", result)


def _case_sections(
    inputs: ReportInputs, per_case: pd.DataFrame, case_classes: pd.DataFrame | None, out: Path
) -> tuple[str, list[ViewerCase]]:
    """The best, median and worst case by mean Dice: overlay, scores, volumes, class; and the
    same cases for the viewer (every modality, prediction and reference)."""
    result = inputs.evaluation
    ranked = per_case.mean(axis=1).sort_values(ascending=False)
    picks = {
        "best": ranked.index[0],
        "median": ranked.index[len(ranked) // 2],
        "worst": ranked.index[-1],
    }
    parts, viewer = [], []
    for role, case_id in picks.items():
        case = inputs.cases[case_id]
        pred_path = prediction_path(inputs.pred, case_id)
        pred_labels, ref_labels, _ = read_pair(case, pred_path, result.challenge.keeps_cavity)
        loaded = load_case(case)
        image = loaded.image[loaded.modalities.index("flair")]
        png = figures.plot_overlay(
            image, pred_labels, ref_labels, out / f"case_{role}.png", title=f"{role}: {case_id}"
        )
        viewer.append(ViewerCase(
            f"{role}: {case_id}", dict(zip(loaded.modalities, loaded.image)), loaded.affine,
            {"prediction": pred_labels, "reference": ref_labels},
            f"mean Dice {ranked[case_id]:.3f}",
        ))  # fmt: skip
        rows = result.scores[result.scores["case_id"] == case_id].set_index("region")
        shown = rows[["dice", "hd95_mm", "ref_cm3", "pred_cm3"]].rename(columns=PLAIN)
        shown.index.name = "Region"
        parts.append(
            f"<h3>{role.capitalize()}: {case_id} (mean Dice {ranked[case_id]:.3f})</h3>"
            + '<div class="row">'
            + html.image_tag(png, f"{role} case overlay")
            + f"<div>{html.table(shown)}{_class_line(case_classes, case_id)}</div></div>"
        )
    return "\n".join(parts), viewer


def _viewer_section(cases: list[ViewerCase]) -> str:
    """The interactive viewer of ``cases`` (``reports/viewer.py``), inside the report."""
    note = "every modality, the prediction and the reference: switch with the buttons"
    return embedded(viewer_html("validation cases", cases, note))


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
        columns={
            "feature": "Feature (PyRadiomics name)",
            "f_score": "ANOVA F",
            "ibsi_family": "IBSI family",
        }
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
