"""Case classifiers on feature tables: radiomics and the volume baseline, one interface.

Every model is a scikit-learn pipeline fitted as a whole inside each cross-validation fold, so
imputation, scaling and feature selection never see the fold's held-out cases:

    median imputation -> drop constant features -> standard scaling -> [SelectKBest (ANOVA F)]
    -> estimator -> sigmoid calibration (CalibratedClassifierCV, internal 3-fold)

- ``radiomics``: every feature (``features.py``), the ``n_features`` best by ANOVA F, then an
  L2 logistic regression (``estimator="logistic"``, classes balanced) or a random forest
  (``"forest"``).
- ``volumes``: the baseline, a logistic regression on the WT, TC and ET volumes alone.

Folds are stratified by class and grouped by patient (``labels.patient_id``): time points of one
BraTS 2023+ patient never straddle training and testing.
"""

from __future__ import annotations

import dataclasses
import json
import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import RandomForestClassifier
from sklearn.feature_selection import SelectKBest, VarianceThreshold, f_classif
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from smart_brains.classification.features import FEATURE_SETTINGS, VOLUME_FEATURES, ibsi_family
from smart_brains.data.layouts import patient_id
from smart_brains.errors import DataError
from smart_brains.evaluation.classification import probability_columns
from smart_brains.paths import atomic_path, write_text

MODELS = ("radiomics", "volumes")
MODEL_FILE = "model.skops"
# what a fitted pipeline holds beyond skops' default trusted scikit-learn estimators
TRUSTED_TYPES = (
    "numpy.dtype",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.feature_selection._univariate_selection.f_classif",
    "sklearn.tree._tree.Tree",
)
ESTIMATORS = ("logistic", "forest")


@dataclass(frozen=True)
class ClassifierConfig:
    """A case classifier's settings, saved with it.

    Attributes:
        target: the label column (``grade``, ``kind``...).
        model: ``radiomics`` or ``volumes`` (the baseline).
        estimator: ``logistic`` or ``forest`` (radiomics only; the baseline is logistic).
        n_features: features kept by SelectKBest (radiomics).
        folds: cross-validation folds (fewer when a class has fewer cases).
        seed: seed of folds, forest and bootstrap.
    """

    target: str = "grade"
    model: str = "radiomics"
    estimator: str = "logistic"
    n_features: int = 20
    folds: int = 5
    seed: int = 0

    def validate(self) -> ClassifierConfig:
        if self.model not in MODELS:
            raise DataError(f"--classifier {self.model}: choose from {', '.join(MODELS)}")
        if self.estimator not in ESTIMATORS:
            raise DataError(f"--estimator {self.estimator}: choose from {', '.join(ESTIMATORS)}")
        if self.folds < 2:
            raise DataError(f"--folds {self.folds}: need at least 2")
        if self.n_features < 1:
            raise DataError(f"--n-features {self.n_features}: need at least 1")
        return self


@contextmanager
def _quiet():
    """Silence scikit-learn's notes on features constant within a fold (they are dropped)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", module="sklearn.feature_selection")
        yield


def select_columns(features: pd.DataFrame, cfg: ClassifierConfig) -> pd.DataFrame:
    """The columns ``cfg.model`` uses."""
    return features[list(VOLUME_FEATURES)] if cfg.model == "volumes" else features


def build_pipeline(cfg: ClassifierConfig, n_columns: int, smallest_class: int) -> Pipeline:
    """An unfitted pipeline (see the module docstring) for ``n_columns`` features, calibrated
    with as many internal folds as the smallest class allows (at most 3; none below 2)."""
    steps: list[tuple[str, Any]] = [
        ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
        ("constant", VarianceThreshold()),
        ("scale", StandardScaler()),
    ]
    if cfg.model == "radiomics":
        steps.append(("select", SelectKBest(f_classif, k=min(cfg.n_features, n_columns))))
    if cfg.model == "radiomics" and cfg.estimator == "forest":
        estimator: Any = RandomForestClassifier(
            n_estimators=300, min_samples_leaf=2, class_weight="balanced", random_state=cfg.seed
        )
    else:
        estimator = LogisticRegression(C=0.3, class_weight="balanced", max_iter=5000)
    calibration_folds = min(3, smallest_class)
    if calibration_folds >= 2:
        estimator = CalibratedClassifierCV(estimator, method="sigmoid", cv=calibration_folds)
    steps.append(("model", estimator))
    return Pipeline(steps)


def _probabilities(pipeline: Pipeline, x: pd.DataFrame, classes: list[str]) -> np.ndarray:
    """(N, K) probabilities in the order of ``classes`` (a class unseen in training: 0)."""
    raw = pipeline.predict_proba(x)
    out = np.zeros((len(x), len(classes)))
    for j, name in enumerate(pipeline.classes_):
        out[:, classes.index(str(name))] = raw[:, j]
    return out


def prediction_table(
    case_ids: list[str], probabilities: np.ndarray, classes: list[str]
) -> pd.DataFrame:
    """``classes.csv`` rows: case_id (index), predicted, one ``p_<class>`` column per class."""
    table = pd.DataFrame(probabilities, index=pd.Index(case_ids, name="case_id"),
                         columns=probability_columns(classes))  # fmt: skip
    table.insert(0, "predicted", [classes[k] for k in probabilities.argmax(1)])
    return table


def cross_validate(features: pd.DataFrame, truth: pd.Series, cfg: ClassifierConfig) -> pd.DataFrame:
    """Out-of-fold predictions of every case of ``truth`` (case id -> class): each case is
    predicted by a pipeline fitted on the other folds only."""
    x = select_columns(features.loc[truth.index], cfg)
    y = truth.astype(str).to_numpy()
    classes = sorted(set(y))
    counts = pd.Series(y).value_counts()
    folds = min(cfg.folds, int(counts.min()))
    if folds < 2:
        raise DataError(
            f"{cfg.target}: class {counts.idxmin()!r} has {counts.min()} case; "
            "cross-validation needs at least 2 cases of every class"
        )
    if not (x.nunique() > 1).any():
        raise DataError(
            f"{cfg.target}: every {cfg.model} feature has the same value in every case; "
            "nothing to learn from (are the segmentations all alike?)"
        )
    groups = [patient_id(c) for c in truth.index]
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=cfg.seed)
    probabilities = np.zeros((len(y), len(classes)))
    for train, test in splitter.split(x, y, groups):
        smallest = int(pd.Series(y[train]).value_counts().min())
        with _quiet():
            pipeline = build_pipeline(cfg, x.shape[1], smallest).fit(x.iloc[train], y[train])
        probabilities[test] = _probabilities(pipeline, x.iloc[test], classes)
    return prediction_table(list(truth.index), probabilities, classes)


@dataclass
class CaseClassifier:
    """A fitted classifier: the pipeline, its settings, classes and the feature columns."""

    config: ClassifierConfig
    pipeline: Pipeline
    classes: list[str]
    columns: list[str]
    segmentation: str = "reference"  # where the sub-regions of the fitted cases came from

    @classmethod
    def fit(
        cls,
        features: pd.DataFrame,
        truth: pd.Series,
        cfg: ClassifierConfig,
        segmentation: str = "reference",
    ) -> CaseClassifier:
        x = select_columns(features.loc[truth.index], cfg)
        y = truth.astype(str).to_numpy()
        smallest = int(pd.Series(y).value_counts().min())
        with _quiet():
            pipeline = build_pipeline(cfg, x.shape[1], smallest).fit(x, y)
        return cls(cfg, pipeline, sorted(set(y)), list(x.columns), segmentation)

    def predict(self, features: pd.DataFrame) -> pd.DataFrame:
        """``classes.csv`` rows for every case of ``features`` (missing columns: NaN, imputed)."""
        x = features.reindex(columns=self.columns)
        return prediction_table(
            list(features.index), _probabilities(self.pipeline, x, self.classes), self.classes
        )

    def top_features(self, n: int = 15) -> pd.DataFrame:
        """The selected features with their ANOVA F score (radiomics), highest first, and their
        IBSI family (the names themselves are PyRadiomics')."""
        pipe = self.pipeline
        names = np.asarray(self.columns)
        names = names[pipe.named_steps["constant"].get_support()]
        if "select" in pipe.named_steps:
            select = pipe.named_steps["select"]
            table = pd.DataFrame({"feature": names, "f_score": select.scores_})
            table = table[select.get_support()]
        else:
            table = pd.DataFrame({"feature": names, "f_score": np.nan})
        table = table.assign(ibsi_family=[ibsi_family(f) for f in table.feature])
        return table.sort_values("f_score", ascending=False).head(n).reset_index(drop=True)

    def save(self, folder: Path) -> None:
        """``model.skops`` (the pipeline in skops' format: loading it runs no code, only the
        types in ``TRUSTED_TYPES`` are built) and ``classifier.json`` (settings, classes,
        columns, segmentation source, feature settings, library versions)."""
        import skops.io as sio

        folder.mkdir(parents=True, exist_ok=True)
        with atomic_path(folder / MODEL_FILE) as tmp:
            sio.dump(self.pipeline, tmp)
        meta = {
            "config": dataclasses.asdict(self.config),
            "classes": self.classes,
            "columns": self.columns,
            "segmentation": self.segmentation,
            "versions": library_versions(),
            "features": FEATURE_SETTINGS,
        }
        write_text(folder / "classifier.json", json.dumps(meta, indent=1))

    @classmethod
    def load(cls, folder: str | Path) -> CaseClassifier:
        """The classifier of a ``classify fit`` folder; a DataError naming the file and what
        to do when it is missing, damaged, or was fitted with another scikit-learn (a pickle
        of another version may load wrongly, so it is refused rather than trusted)."""
        folder = Path(folder)
        meta_path, model_path = folder / "classifier.json", folder / MODEL_FILE
        if not meta_path.is_file() or not model_path.is_file():
            raise DataError(
                f"{folder}: not a classifier folder (no classifier.json and model.skops); "
                "make one with `smart-brains classify fit`"
            )
        again = f"fit it again with `smart-brains classify fit ... --out {folder}`"
        try:
            meta = json.loads(meta_path.read_text())
            config = ClassifierConfig(**meta["config"])
            classes, columns = list(meta["classes"]), list(meta["columns"])
        except (ValueError, KeyError, TypeError) as exc:
            raise DataError(
                f"{meta_path}: damaged or not a classifier's ({exc}); {again}"
            ) from None
        if meta.get("features") != FEATURE_SETTINGS:
            raise DataError(
                f"{meta_path}: its features were extracted with other settings "
                f"({meta.get('features', 'not recorded')}; this version: {FEATURE_SETTINGS}); "
                f"{again}"
            )
        fitted = meta.get("versions", {}).get("scikit-learn")
        if fitted is not None and fitted != library_versions()["scikit-learn"]:
            raise DataError(
                f"{model_path}: fitted with scikit-learn {fitted}, this is "
                f"{library_versions()['scikit-learn']}; {again} (or install scikit-learn=={fitted})"
            )
        pipeline = _load_pipeline(model_path, again)
        return cls(config, pipeline, classes, columns, meta.get("segmentation", "reference"))


def _load_pipeline(path: Path, again: str) -> Pipeline:
    """The pipeline in ``path`` (skops), refusing any type outside ``TRUSTED_TYPES`` and any
    damaged file with a DataError naming it."""
    import skops.io as sio

    try:
        unknown = set(sio.get_untrusted_types(file=path)) - set(TRUSTED_TYPES)
        if unknown:
            raise DataError(
                f"{path}: holds types this package does not build ({', '.join(sorted(unknown))}); "
                f"load only classifiers made by `smart-brains classify fit`, or {again}"
            )
        return sio.load(path, trusted=list(TRUSTED_TYPES))
    except DataError:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure to read the file means it is damaged
        raise DataError(f"{path}: damaged ({type(exc).__name__}); {again}") from None


def library_versions() -> dict[str, str]:
    """Versions of what a fitted classifier and its features depend on."""
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("scikit-learn", "numpy", "pyradiomics-bhklab", "SimpleITK", "smart-brains"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = ""
    return out
