"""A page per patient followed over time: volumes and sum of products over time, the response
at each time point, and each time point's measured axial slice with the two RANO lines drawn."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from smart_brains.longitudinal.follow import Drawn  # noqa: E402
from smart_brains.paths import write_text  # noqa: E402
from smart_brains.reports.figures import label_rgba  # noqa: E402
from smart_brains.reports.html import image_tag, page, table  # noqa: E402


def plot_course(
    measurements: pd.DataFrame, response: pd.DataFrame, out_png: Path, curves: dict | None = None
) -> Path:
    """ET, TC, WT volumes (cm^3) and the sum of products (mm^2) per time point, each time
    point labelled with its RANO / RANO 2.0 response; ``curves`` (region -> (N, 4) day,
    forecast, low, high) adds each region's forecast, dashed, with its 95 % band."""
    dated = measurements["days"].notna().all()
    x = measurements["days"] if dated else measurements["timepoint"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.2))
    for column, name in (("wt_cm3", "WT"), ("tc_cm3", "TC"), ("et_cm3", "ET")):
        line = left.plot(x, measurements[column], marker="o", label=name)[0]
        curve = (curves or {}).get(column[:2])
        if curve is not None and np.isfinite(curve[:, 1]).all():
            left.plot(curve[:, 0], curve[:, 1], "--", color=line.get_color())
            left.fill_between(curve[:, 0], curve[:, 2], curve[:, 3], color=line.get_color(),
                              alpha=0.15, linewidth=0)  # fmt: skip
    if curves:  # the axis follows the data and the forecasts, a wide band runs off the top
        lines = [c[:, 1] for c in curves.values() if np.isfinite(c[:, 1]).all()]
        top = max([measurements[["wt_cm3", "tc_cm3", "et_cm3"]].to_numpy().max()] +
                  [float(c.max()) for c in lines])  # fmt: skip
        left.set_ylim(0, 1.4 * top + 1e-6)
        left.axvline(float(x.iloc[-1]), color="grey", linewidth=0.8, linestyle=":")
        left.text(float(x.iloc[-1]), left.get_ylim()[1], " forecast (extrapolation)",
                  fontsize=7, va="top", color="grey")  # fmt: skip
    left.set_ylabel("volume (cm$^3$)")
    left.legend(fontsize=8)
    right.plot(x, measurements["sum_of_products_mm2"], marker="s", color="k")
    right.set_ylabel("sum of products (mm$^2$)")
    for xi, yi, a, b in zip(x, measurements["sum_of_products_mm2"], response.rano, response.rano2):
        right.annotate(f"{a}/{b}", (xi, yi), textcoords="offset points", xytext=(0, 6),
                       ha="center", fontsize=7)  # fmt: skip
    for ax in (left, right):
        ax.set_xlabel("days since baseline" if dated else "time point")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.tight_layout()
    fig.savefig(out_png, dpi=90)
    plt.close(fig)
    return out_png


def plot_forecast(
    background: np.ndarray, labels: np.ndarray, predicted: np.ndarray, title: str, out_png: Path
) -> Path:
    """The last scan's slice (labels over ``background``, both 2D) with the forecast whole
    tumour's outline (``predicted``, 2D bool) dashed."""
    fig, ax = _labelled_slice(background, labels, 3.6)
    if predicted.any():
        ax.contour(predicted.T.astype(float), levels=[0.5], colors="cyan", linestyles="--",
                   linewidths=1.4, origin="lower")  # fmt: skip
    return _save_slice(fig, ax, title, out_png)


def plot_lines(background: np.ndarray, drawn: Drawn, title: str, out_png: Path) -> Path:
    """One scan's drawn slice: labels over ``background`` (2D, the same slice), with every
    lesion's longest (solid) and perpendicular (dashed) line."""
    fig, ax = _labelled_slice(background, drawn.labels, 3.4)
    in_plane = [a for a in range(3) if a != drawn.axis]
    for lesion in drawn.lesions:
        for ends, style in ((lesion.longest_vox, "-"), (lesion.perpendicular_vox, "--")):
            xs = [p[in_plane[0]] for p in ends]
            ys = [p[in_plane[1]] for p in ends]
            ax.plot(xs, ys, style, color="magenta", linewidth=1.6)
    return _save_slice(fig, ax, title, out_png)


def _labelled_slice(background: np.ndarray, labels: np.ndarray, inches: float):
    """A figure of one 2D slice: ``labels`` in their colours over ``background`` (grey, 1-99th
    percentile window). Returns (fig, ax)."""
    fig, ax = plt.subplots(figsize=(inches, inches))
    image = background.astype(np.float32)
    lo, hi = np.percentile(image, [1, 99]) if image.any() else (0, 1)
    ax.imshow(image.T, cmap="gray", vmin=lo, vmax=hi + 1e-6, origin="lower")
    ax.imshow(np.transpose(label_rgba(labels), (1, 0, 2)), origin="lower")
    return fig, ax


def _save_slice(fig, ax, title: str, out_png: Path) -> Path:
    ax.set_title(title, fontsize=8)
    ax.axis("off")
    fig.tight_layout()
    fig.savefig(out_png, dpi=90)
    plt.close(fig)
    return out_png


def patient_page(
    patient: str,
    measurements: pd.DataFrame,
    lesions: pd.DataFrame,
    response: pd.DataFrame,
    slices: list[tuple[str, np.ndarray, Drawn]],
    out: Path,
    viewer: str = "",
    forecast: pd.DataFrame | None = None,
    curves: dict | None = None,
    extent: tuple[np.ndarray, np.ndarray, np.ndarray, str] | None = None,
) -> Path:
    """``out/<patient>.html``; ``slices``: per time point (case id, background slice, what
    is drawn on it); ``viewer``: every time point in the interactive viewer (an embedded page,
    ``reports.viewer.embedded``), or '' when the images were not given; ``forecast``: its rows
    of ``forecast.csv`` and ``curves`` their lines (``plot_course``), or None; ``extent``: the
    spatial forecast drawn on the last scan's slice (background, labels, predicted, title)."""
    figures = out / "figures"
    figures.mkdir(parents=True, exist_ok=True)
    course = plot_course(measurements, response, figures / f"{patient}-course.png", curves)
    images = []
    for (case_id, background, drawn), rano in zip(slices, response.rano):
        png = plot_lines(background, drawn, f"{case_id}: {rano}", figures / f"{case_id}-lines.png")
        images.append(image_tag(png, case_id))
    sections = [
        ("Course", image_tag(course, "volumes and sum of products over time")),
        ("Response", table(response.set_index("case_id"))),
        *([("Forecast (an extrapolation of the measured trend, not a prognosis)",
            table(forecast.drop(columns="patient_id").set_index("region"))
            + (image_tag(plot_forecast(*extent[:3], extent[3], figures / f"{patient}-extent.png"),
                         "forecast extent") if extent else ""))]
          if forecast is not None else []),
        ("Measurements", table(measurements.set_index("case_id"))),
        ("Measured slices (longest diameter solid, perpendicular dashed)",
         f'<div class="row">{"".join(images)}</div>'),
        ("Lesions", table(lesions.drop(columns=[c for c in lesions.columns if c.endswith(
            ("_vox", "_world_mm"))]).set_index("case_id"))),
        ("Every time point, interactive", viewer or '<p class="note">Give the images '
         "(--data) to see every time point in the interactive viewer.</p>"),
    ]  # fmt: skip
    footer = ("Radiological response only (RANO 2010 on the sum of products, RANO 2.0 on the "
              "enhancing volume); clinical status, steroids and confirmation scans are the reader's.")  # fmt: skip
    return write_text(out / f"{patient}.html", page(f"{patient} over time", sections, footer))
