"""``smart-brains classify fit|predict|evaluate``: case-level classification end to end.

``fit`` extracts the features of every labelled case (from the reference segmentations, or
from predicted ones with ``seg_dir``: a folder, or a function that segments the cases and
returns their folder, which ``workflows/classify.py`` gives to segment with a model),
cross-validates the chosen classifier and the volume
baseline on the same folds, fits the chosen one on all cases and writes the model folder:

    MODEL/model.skops, classifier.json    the fitted pipeline (skops: no code runs on load) and its settings
    MODEL/features.csv                    the feature table it was fitted on
    MODEL/cv_classes.csv                  out-of-fold predictions (the classes.csv format)
    MODEL/cv_baseline_classes.csv         the volume baseline's out-of-fold predictions
    MODEL/cv_summary.csv                  AUC (95 % CI), balanced accuracy, Brier of both
    MODEL/top_features.csv                the selected features, most informative first
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from smart_brains.classification.classifiers import CaseClassifier, ClassifierConfig, cross_validate
from smart_brains.classification.features import feature_table
from smart_brains.data.case_labels import CaseLabels, a_few, load_labels, read_label_file
from smart_brains.data.discovery import Case, discover
from smart_brains.data.segmentations import prediction_path
from smart_brains.errors import DataError
from smart_brains.evaluation.classification import ClassificationScores, score_classes
from smart_brains.paths import write_csv


def _select(cases: list[Case], case_ids: list[str] | None, data: Path) -> list[Case]:
    if case_ids is None:
        return cases
    known = {c.case_id: c for c in cases}
    unknown = [c for c in case_ids if c not in known]
    if unknown:
        raise DataError(f"{data}: no case {unknown[0]} (--cases)")
    return [known[c] for c in case_ids]


# where a case's sub-regions come from: None (the reference), a folder of segmentations, or
# a function that segments the cases it is given and returns their folder
SegSource = str | Path | Callable[[list[Case]], Path] | None


def _seg_paths(cases: list[Case], seg_dir: SegSource) -> dict[str, Path] | None:
    if seg_dir is None:
        return None
    if callable(seg_dir):
        seg_dir = seg_dir(cases)
    return {c.case_id: prediction_path(Path(seg_dir), c.case_id) for c in cases}


def describe_source(seg_dir: SegSource, segmentation: str | None) -> str:
    """The ``segmentation`` column: as given, else ``reference`` or ``folder PATH``."""
    if segmentation:
        return segmentation
    return "reference" if seg_dir is None else f"folder {seg_dir}"


@dataclass(frozen=True)
class FitResult:
    """What ``fit_classifier`` made: the model folder, the labels used, the cross-validated
    scores of the classifier and of the volume baseline."""

    folder: Path
    labels: CaseLabels
    scores: ClassificationScores
    baseline: ClassificationScores
    classifier: CaseClassifier

    def summary(self) -> pd.DataFrame:
        both = pd.concat([self.scores.summary, self.baseline.summary], ignore_index=True)
        both.insert(0, "model", [self.classifier.config.model, "volumes (baseline)"])
        return both.set_index("model")


def fit_classifier(
    data: str | Path,
    out: str | Path,
    cfg: ClassifierConfig,
    labels_file: str | Path | None = None,
    seg_dir: SegSource = None,
    layout: str | None = None,
    case_ids: list[str] | None = None,
    workers: int = 1,
    progress: bool = True,
    features: pd.DataFrame | None = None,
    segmentation: str | None = None,
) -> FitResult:
    """Cross-validate and fit a case classifier on ``data`` (see the module docstring).

    Args:
        seg_dir: where the sub-regions come from (``SegSource``; None: the references).
        features: a feature table already computed for these cases (skips extraction).
        segmentation: how to name the source in the model (default ``describe_source``).
    """
    cfg = cfg.validate()
    data, out = Path(data), Path(out)
    cases = _select(discover(data, layout), case_ids, data)
    folders = {c.case_id: c.images[0].path.parent for c in cases}
    labels = load_labels(
        data, cfg.target, [c.case_id for c in cases], labels_file, folders, case_ids is not None
    )
    known = [c for c in cases if labels.values[c.case_id]]
    truth = pd.Series({c.case_id: labels.values[c.case_id] for c in known}, name=cfg.target)
    truth.index.name = "case_id"
    if features is None:
        features = feature_table(
            known, _seg_paths(known, seg_dir), workers=workers, progress=progress
        )
    oof = cross_validate(features, truth, cfg)
    base_cfg = dataclasses.replace(cfg, model="volumes")
    baseline_oof = cross_validate(features, truth, base_cfg)
    classifier = CaseClassifier.fit(features, truth, cfg, describe_source(seg_dir, segmentation))
    result = FitResult(
        out, labels, score_classes(oof, truth), score_classes(baseline_oof, truth), classifier
    )
    classifier.save(out)
    write_csv(features.loc[truth.index], out / "features.csv")
    write_csv(oof, out / "cv_classes.csv")
    write_csv(baseline_oof, out / "cv_baseline_classes.csv")
    write_csv(truth.to_frame(), out / "labels_used.csv")
    write_csv(result.summary(), out / "cv_summary.csv")
    write_csv(classifier.top_features(), out / "top_features.csv", index=False)
    return result


def predict_classes(
    data: str | Path,
    model: str | Path,
    out: str | Path,
    seg_dir: SegSource = None,
    layout: str | None = None,
    case_ids: list[str] | None = None,
    workers: int = 1,
    progress: bool = True,
    segmentation: str | None = None,
) -> pd.DataFrame:
    """Classify every case of ``data`` with the model folder ``model``; writes and returns
    ``out/classes.csv``: case_id, predicted, p_<class>..., ``segmentation`` (where the
    sub-regions came from) and ``in_fit`` (the case was one the model was fitted on: its
    class says nothing about new data). A source other than the model's is warned about."""
    classifier = CaseClassifier.load(model)
    data = Path(data)
    cases = _select(discover(data, layout), case_ids, data)
    source = describe_source(seg_dir, segmentation)
    if source.split()[0] != classifier.segmentation.split()[0]:
        warnings.warn(
            f"{model}: fitted on features from {classifier.segmentation} segmentations, "
            f"predicting from {source}: expect the classes to shift",
            stacklevel=2,
        )
    features = feature_table(cases, _seg_paths(cases, seg_dir), workers=workers, progress=progress)
    table = classifier.predict(features)
    if classifier.config.target == "grade":
        _mark_non_gliomas(table, data, [c.case_id for c in cases])
    table["segmentation"] = source
    table["in_fit"] = table.index.isin(_fitted_cases(Path(model)))
    write_csv(table, Path(out) / "classes.csv")
    return table


GLIOMA_KINDS = ("glioma", "paediatric-glioma")


def _mark_non_gliomas(table: pd.DataFrame, data: Path, case_ids: list[str]) -> None:
    """Grade applies to gliomas: a case whose tumour type the dataset gives (``kind`` in its
    labels, or a BraTS 2023+ prefix) and is not a glioma gets no predicted grade and a note."""
    try:
        kinds = load_labels(data, "kind", case_ids, other_rows=True).values
    except DataError:  # the dataset says nothing of tumour types
        return
    table["note"] = ""
    for case_id, kind in kinds.items():
        if kind and kind not in GLIOMA_KINDS:
            table.loc[case_id, "predicted"] = ""
            table.loc[case_id, "note"] = f"not a glioma ({kind}): grade does not apply"


def _fitted_cases(model: Path) -> list[str]:
    """The case ids a model folder was fitted on (its ``labels_used.csv``)."""
    path = model / "labels_used.csv"
    return list(pd.read_csv(path, dtype=str)["case_id"]) if path.is_file() else []


def read_predictions(path: str | Path) -> pd.DataFrame:
    """A ``classes.csv`` indexed by case id; a DataError naming the file when it is missing,
    empty, lacks the columns, or names a case twice."""
    path = Path(path)
    if not path.is_file():
        raise DataError(
            f"{path}: no predictions file; make one with `smart-brains classify predict`"
        )
    try:
        table = pd.read_csv(path, dtype={"case_id": str, "predicted": str})
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataError(
            f"{path}: not a readable classes.csv ({str(exc).splitlines()[0]})"
        ) from None
    if (
        "case_id" not in table
        or "predicted" not in table
        or not any(c.startswith("p_") for c in table.columns)
    ):
        raise DataError(f"{path}: expected columns case_id, predicted and p_<class> per class")
    if table.empty:
        raise DataError(f"{path}: no cases; run `smart-brains classify predict` again")
    twice = sorted(set(table["case_id"][table["case_id"].duplicated()]))
    if twice:
        raise DataError(
            f"{path}: case {', '.join(twice[:3])} listed more than once; keep one row per case"
        )
    return table.set_index("case_id")


def evaluate_classes(
    predictions_csv: str | Path, labels_file: str | Path, target: str, out: str | Path | None = None
) -> tuple[ClassificationScores, Path]:
    """Score ``classes.csv`` against the labels; writes ``summary.csv``, ``per_class.csv``,
    ``confusion.csv`` into ``out`` (default: a ``classification`` folder beside the CSV)."""
    predictions = read_predictions(predictions_csv)
    labels = read_label_file(labels_file, target, list(predictions.index), other_rows=True)
    known = pd.Series(labels.known)
    if known.empty:
        raise DataError(f"{labels_file}: none of the predicted cases has a {target}")
    predicted = sorted(c.removeprefix("p_") for c in predictions.columns if c.startswith("p_"))
    foreign = sorted(set(known) - set(predicted))
    if foreign:
        raise DataError(
            f"{predictions_csv}: predicts {', '.join(predicted)}, but the labels' {target} has "
            f"{', '.join(foreign)}; score it against the target it was fitted for (--target)"
        )
    unlabelled = len(predictions) - len(known)
    if unlabelled:
        print(f"{unlabelled} predicted case(s) have no {target} in {labels_file}: left out")
    if labels.elsewhere:
        print(
            f"{len(labels.elsewhere)} case(s) with a {target} in {labels_file} have no row in "
            f"{predictions_csv} ({a_few(labels.elsewhere)}): scored on the "
            f"{len(known)} predicted"
        )
    scores = score_classes(predictions.loc[known.index], known)
    folder = Path(out) if out else Path(predictions_csv).parent / "classification"
    write_csv(scores.summary, folder / "summary.csv", index=False)
    write_csv(scores.per_class, folder / "per_class.csv")
    write_csv(scores.confusion, folder / "confusion.csv")
    return scores, folder
