"""Predict segmentations with one trained run or an ensemble, in the dataset's own convention.

A prediction: crop to the brain and normalise as in training, sliding-window inference with
Gaussian weighting for every model x mirroring (TTA) member, mean of the member probabilities,
nesting enforced (ET inside TC inside WT), labels, small components of each region removed
(``postprocess.py``, sizes tuned by ``tune-postprocessing``), back onto the input grid, written atomically as NIfTI with the input's exact geometry.

A run trained with a case-class head (``train --target grade``) also classifies each case:
its head reads one window centred on the predicted tumour (``case_class.py``), averaged over
the ensemble; ``predict`` then returns those rows too and the CLI writes ``classes.csv``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import nibabel as nib
import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from smart_brains.checkpoint import load_weights
from smart_brains.config import TrainConfig
from smart_brains.data.discovery import Case, discover
from smart_brains.data.labels import from_internal, labels_to_regions, to_internal
from smart_brains.data.loading import LoadedCase, load_case
from smart_brains.data.preprocess import crop, normalise_case, uncrop
from smart_brains.data.resample import resize, same_spacing, shape_at, spacing_of
from smart_brains.devices import (
    import_in_background,
    resolve_device,
    start_in_background,
)
from smart_brains.errors import DataError
from smart_brains.inference.case_class import classify_window, tumour_window
from smart_brains.inference.export import write_float_maps, write_segmentation
from smart_brains.inference.options import Prediction, PredictOptions
from smart_brains.inference.outputs import check_outputs, extras_folder, merged, save_npz
from smart_brains.inference.postprocess import PostProcessing
from smart_brains.inference.quality import QUALITY_COLUMNS, grid_warnings, quality_measures
from smart_brains.inference.sliding_window import member_probabilities
from smart_brains.inference.sources import resolve_model, saved_modalities, tuned_postprocessing
from smart_brains.inference.tta import flip_sets, mean_and_spread
from smart_brains.models.registry import build_model
from smart_brains.paths import (
    RunDir,
    expand_runs,
    remove_stale_temporaries,
    write_csv,
)

if TYPE_CHECKING:
    import pandas as pd  # imported where tables are built: it costs 0.2 s before the first case


@dataclass
class Predictor:
    """Trained models (one, or several to ensemble) sharing their inputs and outputs."""

    models: list[nn.Module]
    cfg: TrainConfig  # the first model's; all share modalities and outputs
    device: torch.device
    tuned: PostProcessing = PostProcessing()
    windows: list[tuple[int, int, int]] | None = None  # per model; None: cfg.patch_size_vox

    @classmethod
    def from_checkpoints(cls, paths: Sequence[str | Path], device: str = "auto") -> Predictor:
        """Load checkpoint files or run folders (a run folder gives its best.pt, or its last.pt
        if it was never validated; a folder of runs, such as ``train --fold all``'s, gives
        every run in it: an ensemble of the folds)."""
        dev = resolve_device(device)
        paths = [resolve_model(p) for p in paths]
        files, weights, cfgs = [], [], []
        for given in expand_runs(paths):
            path = RunDir(given).weights if Path(given).is_dir() else Path(given)
            if not path.is_file():
                raise DataError(f"{given}: checkpoint not found; pass a run folder or a .pt file")
            files.append(path)
            state, cfg = load_weights(path)  # weights only are read
            weights.append(state)
            cfgs.append(cfg)
        for path, cfg in zip(files[1:], cfgs[1:]):
            if (cfg.modalities, cfg.output, cfg.case_output) != (
                cfgs[0].modalities, cfgs[0].output, cfgs[0].case_output,
            ):  # fmt: skip
                raise DataError(
                    f"{path}: cannot ensemble with {files[0]}: inputs {cfg.modalities} / "
                    f"outputs {cfg.output.name} / case classes {cfg.classes} differ from "
                    f"{cfgs[0].modalities} / {cfgs[0].output.name} / {cfgs[0].classes}"
                )
        models = []
        for state, cfg in zip(weights, cfgs):
            n_classes = len(cfg.classes) if cfg.case_output else 0
            model = build_model(
                cfg.model, cfg.preset, len(cfg.modalities), cfg.out_channels, n_classes
            )
            model.load_state_dict(state)
            models.append(model.to(dev, memory_format=torch.channels_last_3d).eval())
        windows = [cfg.patch_size_vox for cfg in cfgs]
        # the tuning beside the first path given: a run, a folder of fold runs (tuned out of
        # fold), or the run of a checkpoint file
        tuned = tuned_postprocessing(Path(paths[0]))
        return cls(models, cfgs[0], dev, tuned, windows)

    def probabilities(
        self, normalised: np.ndarray, options: PredictOptions
    ) -> tuple[np.ndarray, np.ndarray, int]:
        """(C, x, y, z) normalised image -> mean and spread (K, x, y, z) over members, count."""
        overlap = self.cfg.sw_overlap if options.overlap is None else options.overlap

        windows = self.windows or [self.cfg.patch_size_vox] * len(self.models)

        flips = flip_sets(options.tta)
        dtype = options.autocast_dtype(self.device)

        def members():
            for model, window in zip(self.models, windows):
                yield from member_probabilities(
                    model, normalised, window, self.cfg.output, overlap, self.device,
                    options.windows_per_pass(self.device), flips, dtype,
                )  # fmt: skip

        return mean_and_spread(members())

    def predict_image(
        self, image: np.ndarray, options: PredictOptions, spacing: Sequence[float] | None = None
    ) -> Prediction:
        """Raw (C, X, Y, Z) image in ``cfg.modalities`` order, of voxel size ``spacing`` (mm)
        -> ``Prediction`` on its grid. A case whose spacing differs from the run's
        (``cfg.spacing_mm``) is resampled to it; the probabilities come back onto the case's
        grid before they become labels, as nnU-Net does, and tuned component sizes follow
        the voxel volume."""
        shape = image.shape[1:]
        target = self.cfg.spacing_mm
        if spacing is None or target is None or same_spacing(spacing, target):
            normalised, box = normalise_case(image)
            mean, spread, count = self.probabilities(normalised, options)
            labels = self.cfg.output.decode(mean)
            labels = (self.tuned if options.post is None else options.post).apply(labels)
            return Prediction(
                uncrop(labels, box, shape), mean, spread, box, shape, count,
                self.case_probabilities(normalised, labels),
            )  # fmt: skip
        work_shape = shape_at(shape, spacing, target)
        normalised, box = normalise_case(resize(image, work_shape))
        mean, spread, count = self.probabilities(normalised, options)
        case_probabilities = self.case_probabilities(normalised, self.cfg.output.decode(mean))
        mean = resize(uncrop(mean, box, work_shape), shape)
        spread = resize(uncrop(spread, box, work_shape), shape)
        post = options.post or self.tuned.scaled(float(np.prod(target) / np.prod(spacing)))
        labels = post.apply(self.cfg.output.decode(mean))
        whole = tuple((0, n) for n in shape)
        return Prediction(labels, mean, spread, whole, shape, count, case_probabilities)

    def case_probabilities(self, normalised: np.ndarray, labels: np.ndarray) -> np.ndarray | None:
        """(K,) case-class probabilities from the window around the tumour of ``labels``
        (both on the brain crop), mean over the models; None without a case-class head."""
        if self.cfg.case_output is None:
            return None
        window = tumour_window(normalised, labels, self.cfg.patch_size_vox)
        return classify_window(self.models, window, self.cfg.case_output, self.device)

    def predict_case(
        self,
        case: Case,
        out_dir: Path,
        options: PredictOptions,
        extras: Path | None = None,
        loaded: LoadedCase | None = None,
        writer: Executor | None = None,
    ) -> dict:
        """Predict ``case`` into ``out_dir/<case_id>.nii.gz`` in the case's label convention,
        and the extras asked for into ``extras`` (default ``out_dir``). ``loaded``: the case
        already read (``load_case`` with ``cfg.modalities``); ``writer``: where to hand the
        segmentation's writing (its future goes into the row as ``"_written"``). Returns {case_id, written, path, WT_cm3, TC_cm3, ET_cm3};
        an existing output is kept (written False, volumes read from it) unless overwrite."""
        target = out_dir / f"{case.case_id}.nii.gz"
        sources = {ref.path.resolve() for ref in case.images} | (
            {case.seg.resolve()} if case.seg else set()
        )
        if target.resolve() in sources:
            raise DataError(f"{target}: would overwrite an input file; choose another --out")
        if target.exists() and not options.overwrite:
            img = nib.load(str(target))
            kept = to_internal(np.asarray(img.dataobj), case.convention)
            row = {"case_id": case.case_id, "written": False, "path": str(target),
                   **tumour_volumes(kept, img.header.get_zooms()[:3])}  # fmt: skip
            if self.cfg.case_output is not None:  # classify around the kept segmentation
                normalised, box = normalise_case(load_case(case, self.cfg.modalities, False).image)
                row["case_probabilities"] = self.case_probabilities(normalised, crop(kept, box))
            return row
        if loaded is None:
            loaded = load_case(case, self.cfg.modalities, False)
        result = self.predict_image(loaded.image, options, spacing_of(loaded.affine))
        extras = out_dir if extras is None else extras
        names = np.array(self.cfg.output.channel_names)
        if options.probabilities:
            out = extras / f"{case.case_id}_probabilities.npz"
            save_npz(out, probabilities=result.probabilities.astype(np.float16), channels=names)
        if options.uncertainty:
            write_float_maps(
                result.spread, loaded.affine, loaded.header,
                extras / f"{case.case_id}_uncertainty.nii.gz",
            )  # fmt: skip
        if options.overlay:
            from smart_brains.reports.figures import plot_overlay

            flair = self.cfg.modalities.index("flair") if "flair" in self.cfg.modalities else 0
            plot_overlay(
                loaded.image[flair], result.labels, None, extras / f"{case.case_id}_overlay.png",
                title=case.case_id,
            )  # fmt: skip
        labels = from_internal(result.labels, case.convention)
        volumes = tumour_volumes(result.labels, loaded.header.get_zooms()[:3])
        row = {"case_id": case.case_id, "written": True, "path": str(target), **volumes}
        flair = (
            crop(loaded.image[self.cfg.modalities.index("flair")], result.box)
            if "flair" in self.cfg.modalities else None
        )  # fmt: skip
        row["_quality"] = quality_measures(
            self.cfg.output.whole_tumour(result.cropped_probabilities),
            result.cropped_spread[0], crop(result.labels, result.box), spacing_of(loaded.affine),
            flair,
        )  # fmt: skip
        _flag_input_warnings(row["_quality"], loaded, self.cfg.spacing_mm)
        out_dir.mkdir(parents=True, exist_ok=True)
        if writer is None:
            write_segmentation(labels, loaded.affine, loaded.header, target, case.convention)
        else:  # compressing and writing overlap the next case's computation
            row["_written"] = writer.submit(
                write_segmentation, labels, loaded.affine, loaded.header, target, case.convention
            )
        if result.case_probabilities is not None:
            row["case_probabilities"] = result.case_probabilities
        return row

    def classes_table(self, rows: pd.DataFrame) -> pd.DataFrame | None:
        """``classes.csv`` rows (case_id, predicted, p_<class>) from ``predict``'s rows; None
        without a case-class head."""
        if self.cfg.case_output is None:
            return None
        from smart_brains.classification.classifiers import prediction_table

        probabilities = np.stack(rows["case_probabilities"].to_list())
        return prediction_table(list(rows["case_id"]), probabilities, list(self.cfg.classes))


def tumour_volumes(labels: np.ndarray, spacing_mm: Sequence[float]) -> dict[str, float]:
    """cm^3 of WT, TC, ET of an internal label map (X, Y, Z) with voxel size ``spacing_mm``."""
    cm3 = float(np.prod(spacing_mm)) / 1000.0
    regions = labels_to_regions(labels)
    return {f"{r}_cm3": float(regions[i].sum()) * cm3 for i, r in enumerate(("WT", "TC", "ET"))}


def _flag_input_warnings(
    quality: dict, loaded: LoadedCase, trained_mm: Sequence[float] | None
) -> None:
    """What the input checks found only probable (a swap, a head, a grid far coarser than the
    model's) flags the case for review with each reason once, and is said as a warning naming
    the case."""
    said = [*loaded.warnings, *grid_warnings(spacing_of(loaded.affine), trained_mm)]
    if not said:
        return
    quality["flag"] = "review"
    reasons = [REASONS[next(k for k in REASONS if k in text)] for text in said]
    quality["reasons"] = " ".join(filter(None, [quality["reasons"], *dict.fromkeys(reasons)]))
    for text in said:
        warnings.warn(f"case {loaded.case.case_id}: {text}", stacklevel=3)


# a word of each input warning -> its review reason in quality.csv
REASONS = {"swapped": "modality_swap", "skull-stripped": "not_skull_stripped",
           "coarser": "coarse_grid"}  # fmt: skip


def predict(
    models: str | Path | Sequence[str | Path],
    data: str | Path | Case,
    out: str | Path,
    layout: str | None = None,
    device: str = "auto",
    case_ids: list[str] | None = None,
    options: PredictOptions = PredictOptions(),
    progress: bool = True,
    extras: str | Path | None = None,
) -> pd.DataFrame:
    """Predict every case of ``data`` (a dataset folder, a case folder, or a ``Case``) into
    ``out`` with one model or an ensemble; returns one row per case (``predict_case``):
    case_id, written (False: already there, kept), path, tumour volumes in cm^3 (WT, TC, ET),
    and with a case-class head the predicted class (a column named after the target).

    ``out`` receives segmentations only. Extras (``volumes.csv``, the table returned;
    ``quality.csv``, a quality flag per newly predicted case (``quality.py``), also in
    ``table.attrs["quality"]``;
    probability and uncertainty maps, overlays, ``classes.csv`` with the class probabilities)
    go to ``extras`` (default
    ``extras_folder(out)``). Temporary files left in ``out`` by a killed run are removed.
    """
    model_list = [models] if isinstance(models, (str, Path)) else list(models)
    model_list = [resolve_model(m) for m in model_list]
    cases = [data] if isinstance(data, Case) else discover(data, layout)
    if case_ids is not None:
        unknown = sorted(set(case_ids) - {c.case_id for c in cases})
        if unknown:
            shown = ", ".join(unknown[:5]) + (
                f" (and {len(unknown) - 5} more)" if len(unknown) > 5 else ""
            )
            raise DataError(f"{data}: no case {shown}; check --cases against the folder's case ids")
        cases = [c for c in cases if c.case_id in set(case_ids)]
    if not cases:
        raise DataError(f"{data}: no cases to predict")
    check_outputs(Path(out), Path(extras) if extras is not None else extras_folder(out), cases)
    start_in_background(device)  # CUDA and cuDNN start while files are found, read and parsed
    # modules needed only after the first forward pass (tables, post-processing's components)
    # are imported beside it rather than before the output
    import_in_background("pandas", "scipy.ndimage")
    with ThreadPoolExecutor(1) as reader, ThreadPoolExecutor(1) as writer:
        # the first case is read while the models load
        modalities = saved_modalities(model_list[0])
        ahead = (
            reader.submit(load_case, cases[0], modalities, False) if cases and modalities else None
        )
        predictor = Predictor.from_checkpoints(model_list, device)
        if predictor.device.type == "cuda":  # autotuned kernels pay off from the second case
            torch.backends.cudnn.benchmark = len(cases) > 1
        if modalities != predictor.cfg.modalities:
            ahead = None
        return _predict_all(predictor, cases, Path(out), options, progress, extras, reader, writer,
                            ahead)  # fmt: skip


def _predict_all(
    predictor: Predictor,
    cases: list[Case],
    out: Path,
    options: PredictOptions,
    progress: bool,
    extras: str | Path | None,
    reader: Executor,
    writer: Executor,
    ahead: Future | None,
) -> pd.DataFrame:
    """``predict``'s loop: case i+1 is read and case i-1 written while case i computes. ``out``
    is made when the first segmentation is written: a case refused on reading leaves none."""
    if out.is_dir():
        remove_stale_temporaries(out)
    extras = Path(extras) if extras is not None else extras_folder(out)
    wants_extras = options.probabilities or options.uncertainty or options.overlay
    if wants_extras or predictor.cfg.case_output is not None:
        extras.mkdir(parents=True, exist_ok=True)
    rows = []
    bar = tqdm(cases, desc="predict", unit="case", disable=None if progress else True)
    for i, case in enumerate(bar):
        loaded = ahead.result() if ahead is not None else None
        ahead = None
        if i + 1 < len(cases):
            ahead = reader.submit(load_case, cases[i + 1], predictor.cfg.modalities, False)
        rows.append(predictor.predict_case(case, out, options, extras, loaded, writer))
    for row in rows:
        if "_written" in row:
            row.pop("_written").result()  # a failed write raises here
    import pandas as pd

    quality = pd.DataFrame(
        [{"case_id": row["case_id"], **row.pop("_quality")} for row in rows if "_quality" in row],
        columns=["case_id", *QUALITY_COLUMNS],
    )
    table = pd.DataFrame(rows)
    classes = predictor.classes_table(table)
    if classes is not None:
        write_csv(classes, extras / "classes.csv")
        table = table.drop(columns="case_probabilities")
        table[predictor.cfg.class_target] = classes["predicted"].to_numpy()
    write_csv(merged(extras / "volumes.csv", table), extras / "volumes.csv", index=False)
    if len(quality):
        write_csv(merged(extras / "quality.csv", quality), extras / "quality.csv", index=False)
    table.attrs["quality"] = quality
    return table
