"""The modality swap detector: it cannot prefer an order by itself, and on a real case it lets
the right order through and flags the swapped one (predict: review and a warning)."""

import shutil

import numpy as np
import pandas as pd

from smart_brains.cli import main
from smart_brains.data.modality_check import PAIRS, WEIGHTS, summary, swap_probability


def test_swapping_a_pair_flips_the_probability():
    rng = np.random.default_rng(0)
    a = rng.gamma(4, 100, (20, 20, 20)).astype(np.float32)
    b = rng.gamma(2, 100, (20, 20, 20)).astype(np.float32)
    for pair in PAIRS:
        p = swap_probability(summary(a), summary(b), WEIGHTS[pair])
        q = swap_probability(summary(b), summary(a), WEIGHTS[pair])
        assert abs(p + q - 1) < 1e-9
        assert swap_probability(summary(a), summary(a), WEIGHTS[pair]) == 0.5


def test_a_swapped_real_case_is_flagged_and_the_right_one_is_not(real_val, tmp_path, capsys):
    source = real_val / "BraTS2021_00005"
    case = tmp_path / "data" / "BraTS2021_00005"
    shutil.copytree(source, case)
    ok = ["predict", str(case), "--out", str(tmp_path / "ok")]
    assert main(ok) == 0 and "look swapped" not in capsys.readouterr().err
    t1, t1ce = (case / f"BraTS2021_00005_{m}.nii.gz" for m in ("t1", "t1ce"))
    t1.rename(tmp_path / "t1"), t1ce.rename(t1), (tmp_path / "t1").rename(t1ce)
    assert main(["predict", str(case), "--out", str(tmp_path / "swapped")]) == 0
    assert "t1 and t1ce look swapped" in capsys.readouterr().err
    quality = pd.read_csv(tmp_path / "swapped-extras" / "quality.csv", keep_default_na=False)
    assert quality.flag[0] == "review" and "modality_swap" in quality.reasons[0]
    assert main(["check", str(case.parent)]) == 0  # usable, with a warning
    assert "look swapped" in capsys.readouterr().out
