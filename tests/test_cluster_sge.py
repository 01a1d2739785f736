"""The seed command on a real Sun Grid Engine cell (scripts/sge_cell.sh): submit train.sh with
exactly `qsub -pe omp 4 -P ds598 -l gpus=1 -o output.txt -e error.txt train.sh`, wait for it,
check the log, the run folder and the exit status; submit again and check it resumed; submit
with a bad data path and check it failed with a clear message. Needs root and apt (CI has both)."""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from smart_brains.synth.cohort import synth_cohort

REPO = Path(__file__).resolve().parents[1]
SEED_COMMAND = "qsub -pe omp 4 -P ds598 -l gpus=1 -o output.txt -e error.txt train.sh"
SGE_ENV = {**os.environ, "SGE_ROOT": "/var/lib/gridengine", "SGE_CELL": "default"}

pytestmark = [
    pytest.mark.cluster,
    pytest.mark.slow,
    pytest.mark.skipif(
        os.geteuid() != 0 or shutil.which("apt-get") is None,
        reason="starting a Grid Engine cell needs root and apt-get",
    ),
]


@pytest.fixture(scope="module")
def cell():
    subprocess.run(
        ["bash", str(REPO / "scripts" / "sge_cell.sh"), "start"],
        check=True,
        env=SGE_ENV,
        timeout=900,
    )
    yield
    subprocess.run(
        ["bash", str(REPO / "scripts" / "sge_cell.sh"), "stop"], env=SGE_ENV, timeout=120
    )


def _submit(
    folder: Path, settings: dict[str, str], command: str = SEED_COMMAND
) -> tuple[int, float]:
    """Write train.env, submit ``command``, wait; returns (exit status, seconds)."""
    (folder / "train.env").write_text("".join(f'{k}="{v}"\n' for k, v in settings.items()))
    started = time.time()
    (folder / "submitted").write_text(str(started))
    out = subprocess.run(
        command.split(), cwd=folder, env=SGE_ENV, capture_output=True, text=True, check=True
    )
    job = out.stdout.split()[2]  # 'Your job 7 ("smart-brains") has been submitted'
    deadline = started + 300
    while time.time() < deadline:
        status = subprocess.run(["qacct", "-j", job], env=SGE_ENV, capture_output=True, text=True)
        lines = dict(
            line.split(None, 1)
            for line in status.stdout.splitlines()
            if len(line.split(None, 1)) == 2
        )
        if status.returncode == 0 and "exit_status" in lines:
            return int(lines["exit_status"].split()[0]), time.time() - started
        time.sleep(1)
    raise AssertionError(
        f"job {job} did not finish within 300 s: {subprocess.run(['qstat', '-j', job], env=SGE_ENV, capture_output=True, text=True).stdout[-2000:]}"
    )


def _job_folder(tmp_path: Path, name: str) -> tuple[Path, dict[str, str]]:
    """A submission folder with train.sh and configs/, 2 synthetic cases at 4 mm, and the
    train.env settings of a short tiny run called ``name`` on them."""
    folder = tmp_path / "repo"
    folder.mkdir()
    shutil.copy(REPO / "train.sh", folder / "train.sh")
    shutil.copytree(REPO / "configs", folder / "configs")
    synth_cohort(tmp_path / "data", n_cases=2, seed=3, spacing_mm=4.0, progress=False)
    settings = {
        "DATA": str(tmp_path / "data"),
        "CONFIG": "configs/tiny_smoke.yaml",
        "NAME": name,
        "CACHE": str(tmp_path / "cache"),
        "RUNS_DIR": str(tmp_path / "runs"),
        "VENV": sys.prefix,
        "EXTRA": "--patch-size 24 --steps-per-epoch 2 --epochs 1",
    }
    return folder, settings


def test_seed_command_trains_resumes_and_fails_cleanly(cell, tmp_path):
    folder, settings = _job_folder(tmp_path, "job")
    status, seconds = _submit(folder, settings)
    output, errors = (folder / "output.txt").read_text(), (folder / "error.txt").read_text()
    assert status == 0, errors[-3000:]
    assert "smart-brains job" in output and "torch" in output and "epoch 1:" in output
    assert "Traceback" not in errors
    assert (tmp_path / "runs" / "job" / "checkpoints" / "last.pt").is_file()
    assert (tmp_path / "runs" / "job" / "metrics.csv").is_file()
    submitted = float((folder / "submitted").read_text())
    tensorboard = next((tmp_path / "runs" / "job" / "tensorboard").iterdir())
    first_step = tensorboard.stat().st_ctime  # the event file is created just before step 1
    print(
        f"qsub -> first training step: {first_step - submitted:.1f} s; qsub -> accounting: {seconds:.1f} s"
    )

    status, _ = _submit(
        folder, {**settings, "EXTRA": "--patch-size 24 --steps-per-epoch 2 --epochs 2"}
    )
    assert status == 0, (folder / "error.txt").read_text()[-3000:]
    assert "resuming" in (folder / "output.txt").read_text()
    assert (tmp_path / "runs" / "job" / "metrics.csv").read_text().count(
        "\n"
    ) == 3  # header + 2 epochs

    status, _ = _submit(folder, {**settings, "DATA": str(tmp_path / "missing"), "NAME": "bad"})
    errors = (folder / "error.txt").read_text()
    assert status == 2
    assert "dataset folder does not exist" in errors and "Traceback" not in errors


def test_multi_node_job_meets_at_one_rendezvous(cell, tmp_path):
    """The multi-node path: one torchrun agent per node of the host file, the second started
    with `qrsh -inherit` inside the job, both meeting at a c10d rendezvous. The cell has one
    host, so the host file names it twice: two agents, two ranks, the same code path as on two
    machines (only the network between them is the loopback)."""
    folder, settings = _job_folder(tmp_path, "ddp")
    host = subprocess.run(["hostname"], capture_output=True, text=True).stdout.strip()
    (tmp_path / "hosts").write_text(f"{host} 1 all.q@{host} UNDEFINED\n" * 2)
    settings["HOSTFILE"] = str(tmp_path / "hosts")
    settings["EXTRA"] += " --workers 0"
    command = "qsub -pe ddp 2 -P ds598 -l gpus=1 -o output.txt -e error.txt train.sh"
    status, _ = _submit(folder, settings, command)
    output, errors = (folder / "output.txt").read_text(), (folder / "error.txt").read_text()
    assert status == 0, errors[-3000:]
    assert f"multi-node: 2 nodes ({host} {host})" in output
    assert "DDP: 2 processes on 2 node(s), backend gloo" in output
    assert "Traceback" not in errors
    assert output.count("run folder:") == 1  # rank 0 speaks for both
    assert (tmp_path / "runs" / "ddp" / "checkpoints" / "last.pt").is_file()
