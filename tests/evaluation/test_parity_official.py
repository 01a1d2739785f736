"""Parity with the official BraTS evaluation package (`brats-evaluation` on PyPI, built on
panoptica), on the real case: for each of the five algorithm outputs against the reference, our
Dice and HD95 equal the package's to 1e-6 wherever both are finite.

The package needs pandas < 3 and SimpleITK, so it lives in its own environment:
`.venv-brats` at the repository root (`.ci/run` creates it), or the interpreter named by
$BRATS_EVAL_PYTHON. Without one the test skips, unless $SMART_BRAINS_REQUIRE_PARITY is set (CI).
"""

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from smart_brains.data.discovery import discover
from smart_brains.data.segmentations import read_pair
from smart_brains.evaluation.evaluate import score_labels

REPO = Path(__file__).resolve().parents[2]
PYTHON = Path(os.environ.get("BRATS_EVAL_PYTHON", REPO / ".venv-brats" / "bin" / "python"))
ALGORITHMS = ["isen-20", "hnfnetv1-20", "sanet0-20", "scan-20", "yixinmpl-20"]


def test_dice_and_hd95_equal_the_official_package_for_five_algorithms(real_case):
    if not PYTHON.exists():
        if os.environ.get("SMART_BRAINS_REQUIRE_PARITY"):
            pytest.fail(f"no brats-evaluation environment at {PYTHON}")
        pytest.skip(f"no brats-evaluation environment at {PYTHON} (see this test's docstring)")
    (case,) = discover(real_case.parent)
    predictions = [real_case / "refs" / f"{name}.nii.gz" for name in ALGORITHMS]
    official = json.loads(
        subprocess.run(
            [str(PYTHON), str(Path(__file__).with_name("official_brats.py")), str(case.seg)]
            + [str(p) for p in predictions],
            capture_output=True, text=True, check=True, timeout=600,
        ).stdout.splitlines()[-1]
    )  # fmt: skip
    compared = 0
    for path in predictions:
        pred, ref, spacing = read_pair(case, path)
        for row in score_labels(pred, ref, spacing):
            theirs = official[str(path)][row["region"]]
            assert row["dice"] == pytest.approx(theirs["dice"], abs=1e-6), (path.name, row)
            if theirs["hd95"] is not None and np.isfinite(row["hd95_mm"]):
                assert row["hd95_mm"] == pytest.approx(theirs["hd95"], abs=1e-6), (path.name, row)
                compared += 1
    assert compared == 15  # every region of every algorithm is non-empty here
