import signal
import subprocess
import sys
import time

import pytest
import torch

from smart_brains.checkpoint import load_checkpoint
from smart_brains.cli import main
from smart_brains.config import TrainConfig
from smart_brains.data.cache import prepare
from smart_brains.synth.cohort import synth_cohort
from smart_brains.training.loop import fit, lr_factor, run_progress, validate


@pytest.fixture
def cache(synthetic_cache):
    return synthetic_cache


def test_adamw_warms_up_then_decays_and_sgd_is_poly():
    cfg = TrainConfig(epochs=10, steps_per_epoch=10, warmup_fraction=0.1)
    factors = [lr_factor(cfg, run_progress(cfg, s)) for s in range(100)]
    assert factors[0] < factors[5] < factors[9] <= 1.0
    assert all(a >= b for a, b in zip(factors[10:], factors[11:])) and factors[-1] < 0.01
    sgd = TrainConfig(epochs=10, steps_per_epoch=10, optimizer="sgd")
    assert lr_factor(sgd, 0) == 1.0 and lr_factor(sgd, run_progress(sgd, 50)) == pytest.approx(
        0.5**0.9
    )


def test_a_time_budget_runs_the_whole_schedule():
    cfg = TrainConfig(epochs=10_000, steps_per_epoch=25, time_budget_s=100)
    assert run_progress(cfg, 10, train_seconds=50) == 0.5  # time, not the step count, decides
    assert lr_factor(cfg, run_progress(cfg, 10, train_seconds=99.9)) < 1e-4
    assert run_progress(TrainConfig(epochs=2, steps_per_epoch=5), 5) == 0.5


TRAIN = [
    "--epochs", "2", "--steps-per-epoch", "8", "--batch-size", "1", "--patch-size", "24",
    "--device", "cpu", "--deterministic", "--checkpoint-every", "1",
]  # fmt: skip


def test_sigkill_mid_epoch_then_resume_gives_the_same_weights(cache, tmp_path):
    runs = tmp_path / "runs"
    assert main(["train", str(cache), "--name", "whole", "--runs-dir", str(runs), *TRAIN]) == 0

    args = ["train", str(cache), "--name", "killed", "--runs-dir", str(runs), *TRAIN]
    proc = subprocess.Popen(
        [sys.executable, "-m", "smart_brains", *args], stderr=subprocess.DEVNULL
    )
    last = runs / "killed" / "checkpoints" / "last.pt"
    deadline = time.time() + 120
    while not last.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.002)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    state = load_checkpoint(last)["state"]
    assert state["epoch"] == 0 and state["step_in_epoch"] < 8, "not killed mid-epoch"

    assert main([*args, "--resume", "last"]) == 0
    whole = load_checkpoint(runs / "whole" / "checkpoints" / "last.pt")
    resumed = load_checkpoint(last)
    for key, tensor in whole["model"].items():
        assert torch.allclose(tensor, resumed["model"][key], atol=1e-6, rtol=0), key
    assert whole["scheduler"]["_last_lr"] == resumed["scheduler"]["_last_lr"]
    assert whole["state"]["global_step"] == resumed["state"]["global_step"] == 16
    rows_whole = (runs / "whole" / "metrics.csv").read_text().splitlines()
    rows_resumed = (runs / "killed" / "metrics.csv").read_text().splitlines()
    assert [r.split(",")[:3] for r in rows_whole] == [r.split(",")[:3] for r in rows_resumed]
    assert not torch.are_deterministic_algorithms_enabled()  # global state restored


def test_overfits_one_case(tmp_path):
    synth_cohort(tmp_path / "data", n_cases=1, seed=2, spacing_mm=4.0, progress=False)
    prepare(tmp_path / "data", tmp_path / "cache", progress=False)
    cfg = TrainConfig(
        cache=str(tmp_path / "cache"), runs_dir=str(tmp_path / "runs"), name="overfit",
        epochs=1, steps_per_epoch=300, batch_size=2, patch_size_vox=(24, 24, 24),
        foreground_fraction=0.6, augment=False, device="cpu",
    )  # fmt: skip
    run = fit(cfg, progress=False)
    from smart_brains.inference.predict import Predictor

    predictor = Predictor.from_checkpoints([run.last])
    scores = validate(
        predictor.models[0], predictor.cfg, ["BraTS2021_00000"], [0, 1, 2, 3], torch.device("cpu")
    )
    assert scores["WT"] > 0.9, scores


class _NaNAt(torch.nn.Module):
    """The real loss, made NaN at the given calls (0-based): NaN gradients for those steps."""

    def __init__(self, loss: torch.nn.Module, calls) -> None:
        super().__init__()
        self.loss, self.calls, self.n = loss, calls, 0

    def forward(self, outputs, target):
        value = self.loss(outputs, target)
        self.n += 1
        return value * float("nan") if (self.n - 1) in self.calls else value


def _nan_loss(monkeypatch, calls):
    import smart_brains.training.loop as loop

    real = loop.build_loss
    monkeypatch.setattr(loop, "build_loss", lambda name: _NaNAt(real(name), calls))


def test_a_step_with_non_finite_gradients_is_skipped(cache, tmp_path, monkeypatch, capsys):
    """One NaN gradient must not turn every weight into NaN (bf16 on a CPU can produce one)."""
    _nan_loss(monkeypatch, {2})
    cfg = TrainConfig(cache=str(cache), name="skip", runs_dir=str(tmp_path), epochs=1,
                      steps_per_epoch=5, batch_size=1, patch_size_vox=(16, 16, 16),
                      device="cpu", val_every=10**6).validate()  # fmt: skip
    run = fit(cfg, resume=False, progress=False)
    assert "step 3: non-finite gradients, update skipped" in capsys.readouterr().out
    weights = load_checkpoint(run.last)["model"]
    assert all(torch.isfinite(w).all() for w in weights.values())
    loss = float((run.root / "metrics.csv").read_text().splitlines()[1].split(",")[1])
    assert loss == loss and loss > 0  # the mean of the 4 updated steps, not NaN


def test_training_that_diverges_stops_with_one_line(cache, tmp_path, monkeypatch, capsys):
    _nan_loss(monkeypatch, range(10**6))
    args = ["train", str(cache), "--name", "nan", "--runs-dir", str(tmp_path), "--epochs", "1",
            "--steps-per-epoch", "25", "--batch-size", "1", "--patch-size", "16",
            "--device", "cpu"]  # fmt: skip
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "training diverged (20 steps in a row" in err[0], err
    assert "nothing was saved: train it again with a lower --lr" in err[0]
    assert not (tmp_path / "nan" / "checkpoints" / "last.pt").exists()
    assert main(args) == 2  # the name is free again: the same run diverges again
    assert "training diverged" in capsys.readouterr().err
