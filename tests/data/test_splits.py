import pytest

from smart_brains.data.splits import make_splits
from smart_brains.errors import DataError

IDS = [f"case{i:03d}" for i in range(25)]


def test_80_20_split_is_deterministic_and_disjoint():
    a = make_splits(IDS, seed=7)
    b = make_splits(list(reversed(IDS)), seed=7)
    assert a == b
    assert len(a["val"]) == 5 and len(a["train"]) == 20
    assert set(a["train"]).isdisjoint(a["val"])
    assert sorted(a["train"] + a["val"]) == IDS


def test_seed_changes_the_split():
    assert make_splits(IDS, seed=1)["val"] != make_splits(IDS, seed=2)["val"]


def test_k_folds_cover_every_case_once():
    folds = make_splits(IDS, seed=0, folds=5)["folds"]
    held = [cid for fold in folds for cid in fold["val"]]
    assert sorted(held) == IDS
    for fold in folds:
        assert set(fold["train"]).isdisjoint(fold["val"])


def test_two_cases_still_give_a_validation_case():
    s = make_splits(["a", "b"])
    assert len(s["val"]) == 1 and len(s["train"]) == 1


def test_too_many_folds():
    with pytest.raises(DataError, match="folds"):
        make_splits(IDS[:3], folds=4)


def test_time_points_of_a_patient_never_straddle_train_and_validation():
    ids = [f"BraTS-GLI-{p:05d}-{t:03d}" for p in range(12) for t in range(p % 3 + 1)]
    splits = make_splits(ids, seed=3, folds=4)
    for part in (splits, *splits["folds"]):
        train = {i[:15] for i in part["train"]}
        assert train.isdisjoint(i[:15] for i in part["val"]), part
    assert 0.15 <= len(splits["val"]) / len(ids) <= 0.35
    assert sorted(c for f in splits["folds"] for c in f["val"]) == sorted(ids)
