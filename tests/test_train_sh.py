"""train.sh, the Grid Engine job script, run the way the scheduler runs it (bash, job variables)."""

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

from smart_brains.synth.cohort import synth_cohort

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("job")
    synth_cohort(root / "data", n_cases=2, seed=1, spacing_mm=4.0, progress=False)
    return root


def _job(root: Path, data: Path, extra: str, **more: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "DATA": str(data),
        "CONFIG": "configs/tiny_smoke.yaml",
        "NAME": "job",
        "CACHE": str(root / "cache"),
        "RUNS_DIR": str(root / "runs"),
        "VENV": sys.prefix,
        "NSLOTS": "2",
        "JOB_ID": "42",
        "EXTRA": f"--patch-size 24 --steps-per-epoch 2 {extra}",
        **more,
    }
    return subprocess.run(
        ["bash", "train.sh"], cwd=REPO, env=env, capture_output=True, text=True, timeout=600
    )


def test_job_trains_then_resumes_when_rerun(data):
    first = _job(data, data / "data", "--epochs 1")
    assert first.returncode == 0, first.stderr[-3000:]
    assert "smart-brains job 42 on" in first.stdout and "torch" in first.stdout
    assert "epoch 1:" in first.stdout
    assert "Traceback" not in first.stderr
    assert (data / "runs" / "job" / "checkpoints" / "last.pt").is_file()

    second = _job(data, data / "data", "--epochs 2")
    assert second.returncode == 0, second.stderr[-3000:]
    assert "resuming" in second.stdout
    rows = list(csv.DictReader((data / "runs" / "job" / "metrics.csv").open()))
    assert [r["epoch"] for r in rows] == ["1", "2"]


def test_bad_data_path_fails_with_a_clear_message(data, tmp_path):
    result = _job(tmp_path, tmp_path / "no-such-folder", "--epochs 1")
    assert result.returncode == 2
    assert "dataset folder does not exist" in result.stderr
    assert "Traceback" not in result.stderr


def test_fold_all_trains_every_fold(data, tmp_path):
    result = _job(tmp_path, data / "data", "--epochs 1", FOLD="all", FOLDS="2")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "trained 2 folds" in result.stdout
    for k in range(2):
        assert (tmp_path / "runs" / "job" / f"fold{k}" / "checkpoints" / "last.pt").is_file()
