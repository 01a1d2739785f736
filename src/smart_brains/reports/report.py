"""``smart-brains report RUN``: one self-contained HTML file about a trained run.

It holds the training curves, per-region box plots of Dice and HD95, the metrics table
(leaderboard-style summary and lesion-wise scores), the voxel classification metrics and
confusion matrix, and for the best, median and worst validation case a three-plane overlay
(reference and prediction in BraTS colours) with tumour volumes. The validation cases of the run
are predicted first if the predictions folder lacks them.
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
from smart_brains.data.splits import load_splits
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
) -> Report:
    """Write ``out/report.html`` (default ``RUN/report/``) and the PNGs behind it; returns it.

    ``data`` defaults to the dataset the run's cache was prepared from, ``pred_dir`` to
    ``RUN/predictions`` (missing validation cases are predicted there first).
    """
    run_dir = RunDir(Path(run))
    if not run_dir.config.is_file():
        raise DataError(f"{run}: not a run folder (no config.yaml); pass runs/NAME")
    if not run_dir.metrics.is_file():
        raise DataError(f"{run}: no finished epoch yet (no metrics.csv); train it first")
    cfg = load_config(run_dir.config)
    index = read_index(cfg.cache)
    data = Path(data or index["source"])
    val_ids = load_splits(Path(cfg.cache) / "splits.json")["val"]
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

    result = evaluate(pred, data, case_ids=sorted(cases))
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

    case_html = []
    for role, case_id in picks.items():
        case = cases[case_id]
        pred_labels, ref_labels, _ = read_pair(case, prediction_path(pred, case_id))
        image = load_case(case, ("flair",)).image[0]
        png = figures.plot_overlay(
            image, pred_labels, ref_labels, out / f"case_{role}.png", title=f"{role}: {case_id}"
        )
        rows = result.scores[result.scores["case_id"] == case_id].set_index("region")
        case_html.append(
            f"<h3>{role.capitalize()}: {case_id} (mean Dice {ranked[case_id]:.3f})</h3>"
            + html.image_tag(png, f"{role} case overlay")
            + html.table(rows[["dice", "hd95_mm", "ref_cm3", "pred_cm3"]])
        )

    summary = result.summary()
    leaderboard = summary[[c for c in summary.columns if c.startswith(("cases", "dice", "hd95"))]]
    lesion = summary[[c for c in summary.columns if c.startswith("lesion")]]
    sections = [
        ("Run", html.table(_run_table(cfg, run_dir, len(cases)))),
        ("Training", html.image_tag(curves, "training curves")),
        ("Scores per region (BraTS definitions)", html.table(leaderboard) + html.image_tag(boxes, "box plots")),
        ("Lesion-wise scores (BraTS 2023+)", html.table(lesion)),
        ("Sensitivity and specificity", html.table(summary[[c for c in summary.columns if c.startswith(("sens", "spec"))]])),
        ("Voxel classification", html.table(result.classification(), 4) + html.image_tag(files["confusion_png"], "confusion matrix")),
        ("Cases: best, median, worst", "\n".join(case_html)),
        ("Every case", html.table(per_case.join(_volumes(result.scores)))),
    ]  # fmt: skip
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    document = html.page(
        f"smart-brains report: {run_dir.root.name}",
        sections,
        f"smart-brains {__version__}, {stamp}. Data: {data}. Predictions: {pred}.",
    )
    with atomic_path(out / "report.html") as tmp:
        tmp.write_text(document, encoding="utf-8")
    return Report(out / "report.html", result)


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
    volumes.columns = [f"{region} {kind[:-4]} cm³" for kind, region in volumes.columns]
    return volumes
