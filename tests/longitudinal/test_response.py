"""RANO and RANO 2.0 rules: every category, the nadir against the baseline, new lesions."""

import pytest

from smart_brains.longitudinal.response import RANO, RANO2, responses


def rano(values, left=None, new=None, criteria=RANO):
    left = left if left is not None else [v > 0 for v in values]
    new = new if new is not None else [False] * len(values)
    return responses(values, left, new, criteria)


def test_each_category_at_its_threshold():
    assert rano([100, 50]) == ["baseline", "PR"]  # -50 %: partial response
    assert rano([100, 51]) == ["baseline", "SD"]
    assert rano([100, 125]) == ["baseline", "PD"]  # +25 % over the nadir
    assert rano([100, 124]) == ["baseline", "SD"]
    assert rano([100, 0]) == ["baseline", "CR"]
    assert rano([100, 0], left=[True, True]) == ["baseline", "PR"]  # enhancement left, unmeasured


def test_progression_is_against_the_nadir_and_response_against_the_baseline():
    # 100 -> 40 (PR) -> 60: +50 % over the nadir 40, though still below baseline
    assert rano([100, 40, 60]) == ["baseline", "PR", "PD"]
    # 100 -> 60 (SD) -> 45: -55 % of baseline is PR even though -25 % of the nadir is not
    assert rano([100, 60, 45]) == ["baseline", "SD", "PR"]


def test_a_new_measurable_lesion_is_progression_and_return_after_cr_too():
    assert rano([100, 80], new=[False, True]) == ["baseline", "PD"]
    assert rano([100, 0, 10]) == ["baseline", "CR", "PD"]


@pytest.mark.parametrize(
    "values, expected",
    [([1000, 350], "PR"), ([1000, 351], "SD"), ([1000, 1400], "PD"), ([1000, 1399], "SD")],
)
def test_rano2_volumetric_thresholds(values, expected):
    assert rano(values, criteria=RANO2)[1] == expected


def test_no_measurable_baseline_never_gives_a_partial_response():
    assert rano([0, 0], left=[True, True]) == ["baseline", "SD"]
