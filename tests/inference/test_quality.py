"""The quality flag: confident single masses pass, doubtful or scattered predictions are sent
to review, and predict writes quality.csv beside volumes.csv."""

import numpy as np
import pandas as pd
import pytest

from smart_brains.cli import main
from smart_brains.inference.quality import QUALITY_COLUMNS, quality_measures


def _ball(shape, centre, radius):
    grid = np.indices(shape)
    return sum((g - c) ** 2 for g, c in zip(grid, centre)) <= radius**2


def test_a_confident_mass_is_ok_and_doubt_or_specks_are_reviewed():
    shape = (40, 40, 40)
    ball = _ball(shape, (20, 20, 20), 8)
    p = np.where(ball, 0.97, 0.01).astype(np.float32)
    labels = ball.astype(np.uint8) * 2
    good = quality_measures(p, np.zeros(shape, np.float32), labels, (1, 1, 1))
    assert good["flag"] == "ok" and good["largest_share"] == 1.0
    assert good["wt_cm3"] == round(ball.sum() / 1000, 3)
    doubtful = quality_measures(np.where(ball, 0.55, 0.3).astype(np.float32), np.zeros(shape, np.float32), labels, (1, 1, 1))  # fmt: skip
    assert doubtful["flag"] == "review" and "wt_confidence" in doubtful["reasons"]
    assert doubtful["risk"] > good["risk"]
    specks = np.zeros(shape, np.uint8)
    specks[::8, ::8, ::8] = 2
    scattered = quality_measures(np.where(specks > 0, 0.9, 0.0).astype(np.float32), np.zeros(shape, np.float32), specks, (1, 1, 1))  # fmt: skip
    assert scattered["flag"] == "review" and "largest_share" in scattered["reasons"]
    empty = quality_measures(np.zeros(shape, np.float32), np.zeros(shape, np.float32), np.zeros(shape, np.uint8), (1, 1, 1))  # fmt: skip
    assert empty["flag"] == "review" and "wt_cm3" in empty["reasons"]  # no tumour found


def test_predict_writes_quality_csv_and_names_the_cases_to_review(trained_run, tmp_path, capsys):
    data = trained_run.parents[1] / "data"
    out = tmp_path / "pred"
    assert main(["predict", str(data), "--model", str(trained_run), "--out", str(out), "--device", "cpu", "--tta", "3"]) == 0  # fmt: skip
    quality = pd.read_csv(tmp_path / "pred-extras" / "quality.csv", keep_default_na=False)
    assert list(quality.columns) == ["case_id", *QUALITY_COLUMNS]
    assert sorted(quality["case_id"]) == sorted(p.name for p in data.iterdir() if p.is_dir())
    assert set(quality["flag"]) <= {"ok", "review"}
    assert (quality["member_spread"] > 0).all()  # four mirrored members never agree exactly
    volumes = pd.read_csv(tmp_path / "pred-extras" / "volumes.csv").set_index("case_id")
    for row in quality.itertuples():  # the flag's volume is the written segmentation's
        assert row.wt_cm3 == pytest.approx(volumes.loc[row.case_id, "WT_cm3"], abs=1e-3)
    text = capsys.readouterr().out
    review = quality[quality["flag"] == "review"]
    assert f"to review ({len(review)} of {len(quality)})" in text or (
        len(review) == 0 and f"to review: none of {len(quality)}" in text
    )
    for row in quality.itertuples():  # one line per case: its volumes and its flag
        line = next(x for x in text.splitlines() if x.startswith(row.case_id + " "))
        assert f"{row.wt_cm3:.1f}" in line and row.flag in line


def test_flair_outside_marks_an_under_segmented_tumour():
    from smart_brains.inference.quality import LIMITS, flair_outside

    rng = np.random.default_rng(0)
    shape = (60, 60, 60)
    d = np.sqrt(((np.indices(shape) - 30) ** 2).sum(0))
    flair = np.where(d < 28, rng.normal(100, 5, shape), 0).astype(np.float32)
    flair[d < 12] = 190  # a FLAIR-bright tumour of radius 12
    found = d < 12
    small = d < 6  # an eighth of it
    assert flair_outside(flair, found, 0.001) < 0.05
    assert flair_outside(flair, small, 0.001) > LIMITS["flair_outside"]
    elsewhere = np.zeros(shape, bool)
    elsewhere[5:9, 28:32, 28:32] = True  # a speck far from the bright tumour: not connected
    assert flair_outside(flair, elsewhere, 0.001) < 0.05
