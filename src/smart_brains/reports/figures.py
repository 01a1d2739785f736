"""Figures people look at: training loss and per-region validation Dice per epoch."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from smart_brains.data.labels import REGIONS  # noqa: E402


def plot_training_curves(metrics_csv: Path, out_png: Path) -> Path:
    """Two panels from a run's metrics.csv: training loss, and validation Dice per region."""
    df = pd.read_csv(metrics_csv)
    fig, (ax_loss, ax_dice) = plt.subplots(1, 2, figsize=(10, 4))
    ax_loss.plot(df["epoch"], df["train_loss"], marker="o")
    ax_loss.set(xlabel="epoch", ylabel="training loss", title="Training loss")
    for region in REGIONS:
        col = f"val_dice_{region}"
        if col in df and df[col].notna().any():
            validated = df[df[col].notna()]  # validation runs every val_every epochs
            ax_dice.plot(validated["epoch"], validated[col], marker="o", label=region)
    ax_dice.set(xlabel="epoch", ylabel="Dice", ylim=(0, 1), title="Validation Dice")
    if ax_dice.lines:
        ax_dice.legend()
    fig.tight_layout()
    fig.savefig(out_png, dpi=100)
    plt.close(fig)
    return out_png


def plot_confusion(
    matrix,
    names: list[str],
    out_png: Path,
    title: str = "Voxel confusion matrix",
    unit: str = "voxels",
) -> Path:
    """A confusion matrix (rows reference, columns prediction), coloured by the share of each
    reference row, with the counts written in the cells."""
    counts = np.asarray(matrix, np.int64)
    share = counts / np.maximum(counts.sum(1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(5.5, 4.5))
    shown = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    for (i, j), n in np.ndenumerate(counts):
        ax.text(j, i, f"{n:,}\n{share[i, j]:.1%}", ha="center", va="center", fontsize=8,
                color="white" if share[i, j] > 0.5 else "black")  # fmt: skip
    ax.set_xticks(range(len(names)), names)
    ax.set_yticks(range(len(names)), names)
    ax.set(xlabel="prediction", ylabel="reference", title=title)
    fig.colorbar(shown, ax=ax, label=f"share of reference {unit}")
    fig.tight_layout()
    fig.savefig(out_png, dpi=100)
    plt.close(fig)
    return out_png


# BraTS colours as usually shown: NCR red, ED green, ET yellow (internal labels 1, 2, 3)
LABEL_COLOURS = {1: (0.90, 0.10, 0.10), 2: (0.15, 0.75, 0.20), 3: (1.00, 0.85, 0.10)}


def tumour_centre(labels, fallback_shape) -> tuple[int, int, int]:
    """Voxel index of the tumour's centre of mass, or the volume's centre without tumour."""
    idx = np.argwhere(np.asarray(labels) > 0)
    if len(idx) == 0:
        return tuple(int(s) // 2 for s in fallback_shape)
    return tuple(int(round(v)) for v in idx.mean(0))


def label_rgba(labels, alpha: float = 0.45):
    out = np.zeros((*labels.shape, 4), np.float32)
    for label, colour in LABEL_COLOURS.items():
        out[labels == label] = (*colour, alpha)
    return out


def _plane(volume, centre: tuple[int, int, int], axis: int):
    """The slice of ``volume`` (X, Y, Z) through ``centre`` across ``axis``, rotated for display."""
    return np.rot90(np.take(volume, centre[axis], axis=axis))


def plot_overlay(image, prediction, reference, out_png: Path, title: str = "") -> Path:
    """Three planes (axial, coronal, sagittal) through the tumour centre of ``image`` (X, Y, Z),
    with ``prediction`` (internal labels) and, if given, ``reference`` side by side."""

    image = np.asarray(image, np.float32)
    maps = [("prediction", prediction)] + (
        [("reference", reference)] if reference is not None else []
    )
    centre = tumour_centre(reference if reference is not None else prediction, image.shape)
    lo, hi = np.percentile(image[image != 0], [1, 99]) if (image != 0).any() else (0, 1)
    planes = [("axial", 2), ("coronal", 1), ("sagittal", 0)]
    fig, axes = plt.subplots(len(maps), 3, figsize=(9, 3.1 * len(maps)), squeeze=False)
    for row, (name, labels) in enumerate(maps):
        for col, (plane, axis) in enumerate(planes):
            ax = axes[row, col]
            ax.imshow(_plane(image, centre, axis), cmap="gray", vmin=lo, vmax=hi)
            ax.imshow(label_rgba(_plane(np.asarray(labels), centre, axis)))
            ax.set_title(f"{name}: {plane}", fontsize=9)
            ax.axis("off")
    handles = [
        Patch(color=LABEL_COLOURS[k], label=n) for k, n in ((1, "NCR"), (2, "ED"), (3, "ET"))
    ]
    fig.legend(handles=handles, loc="lower center", ncol=3, fontsize=8, frameon=False)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    fig.savefig(out_png, dpi=90)
    plt.close(fig)
    return out_png


def plot_score_boxes(scores: pd.DataFrame, out_png: Path) -> Path:
    """Box plots per region of Dice and HD95 (mm) over cases, each case drawn as a dot."""
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
    for ax, (column, label) in zip(axes, [("dice", "Dice"), ("hd95_mm", "HD95 (mm)")]):
        data = [scores.loc[scores["region"] == r, column].to_numpy() for r in REGIONS]
        ax.boxplot(data, showfliers=False)
        ax.set_xticks(range(1, len(REGIONS) + 1), REGIONS)
        for i, values in enumerate(data, start=1):
            jitter = np.linspace(-0.12, 0.12, len(values)) if len(values) > 1 else [0.0]
            ax.plot(i + np.asarray(jitter), values, "o", ms=3, alpha=0.6, color="tab:blue")
        ax.set(ylabel=label, title=f"{label} per case")
        if column == "dice":
            ax.set_ylim(0, 1.02)
    fig.tight_layout()
    fig.savefig(out_png, dpi=100)
    plt.close(fig)
    return out_png


def _binary_or_per_class(predictions: pd.DataFrame, truth: pd.Series):
    """(label, true 0/1, probability) curves: one for two classes (the second class as
    positive), else one per class (one-vs-rest)."""
    classes = [c[2:] for c in predictions.columns if c.startswith("p_")]
    y = truth.loc[predictions.index].astype(str)
    chosen = classes[1:] if len(classes) == 2 else classes
    for name in chosen:
        yield name, (y == name).to_numpy(), predictions[f"p_{name}"].to_numpy(float)


def plot_roc(curves: dict[str, pd.DataFrame], truth: pd.Series, out_png: Path) -> Path:
    """ROC curves of several models' case predictions (``classes.csv`` tables) on ``truth``."""
    from sklearn.metrics import roc_auc_score, roc_curve

    fig, ax = plt.subplots(figsize=(5, 4.5))
    for model, predictions in curves.items():
        for name, y, p in _binary_or_per_class(predictions, truth):
            if y.all() or not y.any():
                continue
            fpr, tpr, _ = roc_curve(y, p)
            ax.plot(fpr, tpr, label=f"{model}, {name} (AUC {roc_auc_score(y, p):.2f})")
    ax.plot([0, 1], [0, 1], ":", color="grey", label="chance")
    ax.set(xlabel="1 - specificity", ylabel="sensitivity", title="ROC (out-of-fold)")
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    fig.savefig(out_png, dpi=100)
    plt.close(fig)
    return out_png


def plot_calibration(predictions: pd.DataFrame, truth: pd.Series, out_png: Path) -> Path:
    """Reliability diagram: observed frequency against predicted probability (5 bins)."""
    from sklearn.calibration import calibration_curve

    fig, ax = plt.subplots(figsize=(5, 4.5))
    for name, y, p in _binary_or_per_class(predictions, truth):
        if y.all() or not y.any():
            continue
        observed, predicted = calibration_curve(y, p, n_bins=5, strategy="quantile")
        ax.plot(predicted, observed, marker="o", label=name)
    ax.plot([0, 1], [0, 1], ":", color="grey", label="perfectly calibrated")
    ax.set(xlabel="predicted probability", ylabel="observed frequency", xlim=(0, 1), ylim=(0, 1),
           title="Calibration (out-of-fold)")  # fmt: skip
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(out_png, dpi=100)
    plt.close(fig)
    return out_png
