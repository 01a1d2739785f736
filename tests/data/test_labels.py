import numpy as np
import pytest

from smart_brains.data.labels import (
    CONVENTIONS,
    ED,
    ET,
    NCR,
    from_internal,
    labels_to_regions,
    regions_to_labels,
    to_internal,
)
from smart_brains.errors import DataError

INTERNAL = np.array([0, 1, 2, 3, 3, 2, 0], dtype=np.uint8)


@pytest.mark.parametrize(
    "convention, stored",
    [
        ("brats2021", [0, 1, 2, 4, 4, 2, 0]),
        ("brats2023", [0, 1, 2, 3, 3, 2, 0]),
        ("msd", [0, 2, 1, 3, 3, 1, 0]),
    ],
)
def test_round_trip_each_convention(convention, stored):
    stored = np.array(stored, dtype=np.uint8)
    assert np.array_equal(to_internal(stored, convention), INTERNAL)
    assert np.array_equal(from_internal(INTERNAL, convention), stored)


def test_msd_oedema_is_label_1_and_non_enhancing_is_2():
    assert to_internal(np.array([1]), "msd")[0] == ED
    assert to_internal(np.array([2]), "msd")[0] == NCR


def test_brats2021_label_3_is_rejected_and_4_is_enhancing():
    assert to_internal(np.array([4]), "brats2021")[0] == ET
    with pytest.raises(DataError, match=r"label values \[3\].*brats2021"):
        to_internal(np.array([0, 3]), "brats2021")


def test_brats2024_resection_cavity_is_not_tumour():
    internal = to_internal(np.array([0, 4, 3]), "brats2023")
    assert internal.tolist() == [0, 0, ET]


@pytest.mark.parametrize("name", sorted(CONVENTIONS))
def test_float_labels_like_nibabel_get_fdata_convert(name):
    values = np.array(CONVENTIONS[name].allowed, dtype=np.float64)
    assert to_internal(values, name).dtype == np.uint8


def test_non_integer_label_rejected():
    with pytest.raises(DataError):
        to_internal(np.array([0.5]), "brats2021")


def test_regions_are_nested_brats_definitions():
    regions = labels_to_regions(np.array([0, 1, 2, 3]))
    wt, tc, et = regions
    assert wt.tolist() == [False, True, True, True]
    assert tc.tolist() == [False, True, False, True]
    assert et.tolist() == [False, False, False, True]


def test_regions_to_labels_inverts_labels_to_regions():
    labels = np.random.default_rng(0).integers(0, 4, (5, 6, 7)).astype(np.uint8)
    assert np.array_equal(regions_to_labels(labels_to_regions(labels)), labels)
