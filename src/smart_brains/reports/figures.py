"""Figures people look at: training loss and per-region validation Dice per epoch."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

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
            ax_dice.plot(df["epoch"], df[col], marker="o", label=region)
    ax_dice.set(xlabel="epoch", ylabel="Dice", ylim=(0, 1), title="Validation Dice")
    if ax_dice.lines:
        ax_dice.legend()
    fig.tight_layout()
    fig.savefig(out_png, dpi=100)
    plt.close(fig)
    return out_png
