"""Case classification scores, and the permutation test: with shuffled labels the
cross-validated AUC interval contains 0.5; with true labels on a separable task it does not."""

import numpy as np
import pandas as pd
import pytest
from sklearn.feature_selection import SelectKBest, f_classif
from sklearn.metrics import roc_auc_score

from smart_brains.classification.classifiers import ClassifierConfig, cross_validate
from smart_brains.evaluation.classification import auc, binary_auc, brier, score_classes


def table(rows):
    frame = pd.DataFrame(rows, columns=["case_id", "predicted", "p_HGG", "p_LGG"]).set_index(
        "case_id"
    )
    return frame


def test_scores_of_a_known_example():
    predictions = table([
        ("a", "HGG", 0.9, 0.1), ("b", "HGG", 0.6, 0.4), ("c", "LGG", 0.3, 0.7), ("d", "HGG", 0.55, 0.45),
    ])  # fmt: skip
    truth = pd.Series({"a": "HGG", "b": "HGG", "c": "LGG", "d": "LGG"})
    scores = score_classes(predictions, truth)
    row = scores.summary.iloc[0]
    assert row["accuracy"] == 0.75 and row["balanced_accuracy"] == 0.75
    assert row["auc"] == 1.0  # every LGG has a higher p_LGG than every HGG
    assert row["brier"] == pytest.approx(np.mean([0.1**2, 0.4**2, 0.3**2, 0.55**2]))
    assert scores.per_class.loc["LGG", "sensitivity"] == 0.5
    assert scores.per_class.loc["HGG", "specificity"] == 0.5
    assert scores.confusion.loc["LGG", "HGG"] == 1


def test_multiclass_auc_is_the_mean_one_vs_rest_and_brier_sums_classes():
    classes = ["a", "b", "c"]
    truth = np.array(["a", "b", "c", "a"])
    p = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.2, 0.7], [0.3, 0.4, 0.3]])
    assert auc(truth, p, classes) == pytest.approx(1.0)
    assert brier(truth, p, classes) == pytest.approx(np.mean([0.06, 0.14, 0.14, 0.74]))


def test_fast_auc_equals_scikit_learn_with_ties():
    rng = np.random.default_rng(0)
    y = rng.random(50) < 0.4
    p = rng.integers(0, 5, 50) / 4  # many ties
    assert binary_auc(y, p) == pytest.approx(roc_auc_score(y, p))


def separable(n=60, seed=0, width=40):
    """``width`` noise features, one of them shifted by 2 sd for HGG."""
    rng = np.random.default_rng(seed)
    y = np.array(["HGG", "LGG"] * (n // 2))
    x = rng.normal(size=(n, width))
    x[:, 3] += np.where(y == "HGG", 2.0, 0.0)
    index = [f"BraTS2021_{i:05d}" for i in range(n)]
    features = pd.DataFrame(x, index=index, columns=[f"f{i}" for i in range(width)])
    features["volume_WT_cm3"] = features["volume_TC_cm3"] = features["volume_ET_cm3"] = rng.normal(
        size=n
    )
    return features, pd.Series(y, index=index)


def shuffle(truth, seed):
    return pd.Series(np.random.default_rng(seed).permutation(truth.to_numpy()), index=truth.index)


@pytest.mark.parametrize("seed", [0, 1])
def test_permutation_true_labels_beat_chance_shuffled_ones_do_not(seed):
    features, truth = separable(seed=seed)
    cfg = ClassifierConfig(target="grade", n_features=5, seed=seed)
    true_scores = score_classes(cross_validate(features, truth, cfg), truth).summary.iloc[0]
    assert true_scores["auc_low"] > 0.5 and true_scores["better_than_chance"]
    shuffled = shuffle(truth, seed + 10)
    null_scores = score_classes(cross_validate(features, shuffled, cfg), shuffled).summary.iloc[0]
    assert null_scores["auc_low"] <= 0.5 <= null_scores["auc_high"]
    assert not null_scores["better_than_chance"]


@pytest.mark.parametrize("seed", [0, 1])
def test_selection_outside_the_folds_would_be_caught(seed):
    """300 noise features, shuffled labels: choosing features on all cases first (a leak) scores
    "better than chance"; the pipeline, which selects inside each fold, does not."""
    features, truth = separable(seed=seed, width=300)
    shuffled = shuffle(truth, seed + 10)
    cfg = ClassifierConfig(target="grade", n_features=5, seed=seed)
    honest = score_classes(cross_validate(features, shuffled, cfg), shuffled).summary.iloc[0]
    assert not honest["better_than_chance"]
    chosen = SelectKBest(f_classif, k=5).fit(features, shuffled).get_support()
    leaky = features.loc[:, chosen]  # the five "best" features, chosen with every case's label
    leaked = score_classes(cross_validate(leaky, shuffled, cfg), shuffled).summary.iloc[0]
    assert leaked["better_than_chance"]


def test_time_points_of_one_patient_stay_in_one_fold(monkeypatch):
    features, truth = separable(n=40)
    ids = [f"BraTS-GLI-{i // 2:05d}-{i % 2:03d}" for i in range(40)]
    features.index = truth.index = ids
    truth[:] = np.repeat(["HGG", "LGG"] * 10, 2)
    import smart_brains.classification.classifiers as models

    seen = []
    original = models.StratifiedGroupKFold.split

    def spy(self, x, y, groups):
        for train, test in original(self, x, y, groups):
            seen.append((set(np.asarray(groups)[train]), set(np.asarray(groups)[test])))
            yield train, test

    monkeypatch.setattr(models.StratifiedGroupKFold, "split", spy)
    cross_validate(features, truth, ClassifierConfig(n_features=5))
    assert len(seen) == 5 and all(not (train & test) for train, test in seen)
