"""DDP on CPU with gloo, launched by torchrun as a user would launch it."""

import subprocess
import sys

import pytest
import torch

from smart_brains.checkpoint import load_checkpoint
from smart_brains.cli import main
from smart_brains.training.distributed import DistInfo, rank_indices


def test_ranks_share_out_exactly_the_single_process_batch():
    batch, world = 2, 3
    for step in range(4):
        shares = [rank_indices(step, batch, DistInfo(r, world)) for r in range(world)]
        flat = [i for share in shares for i in share]
        assert len(set(flat)) == len(flat)  # ranks see different patches
        assert flat == rank_indices(step, batch * world, DistInfo())  # = one process, batch x world


@pytest.fixture
def cache(synthetic_cache):
    return synthetic_cache


COMMON = [
    "--epochs", "1", "--steps-per-epoch", "4", "--patch-size", "24", "--device", "cpu",
    "--loss", "bce", "--optimizer", "sgd",
]  # fmt: skip


def test_two_gloo_ranks_match_one_process_with_the_combined_batch(cache, tmp_path):
    """BCE is a mean over voxels, so the average of the two ranks' gradients (what DDP computes)
    equals the gradient of one process on the combined batch, up to float rounding; the
    augmentation stream is per patch index, so both set-ups see identical patches. (Soft Dice
    over the batch is not a mean over patches, which is why this test trains with BCE; and SGD,
    whose update is linear in the gradient, because Adam's first steps divide by the gradient's
    own magnitude and turn rounding differences of near-zero gradients into 1e-4 weight changes.)"""
    runs = tmp_path / "runs"
    single = [
        "train",
        str(cache),
        "--name",
        "single",
        "--runs-dir",
        str(runs),
        "--batch-size",
        "2",
        *COMMON,
    ]
    assert main(single) == 0
    launch = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    ddp = [
        "-m",
        "smart_brains",
        "train",
        str(cache),
        "--name",
        "ddp",
        "--runs-dir",
        str(runs),
        "--batch-size",
        "1",
        *COMMON,
    ]
    result = subprocess.run([*launch, *ddp], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Grad strides do not match" not in result.stderr  # channels-last params as DDP wants
    a = load_checkpoint(runs / "single" / "checkpoints" / "last.pt")
    b = load_checkpoint(runs / "ddp" / "checkpoints" / "last.pt")
    assert b["state"]["global_step"] == a["state"]["global_step"] == 4
    for key, tensor in a["model"].items():
        assert torch.allclose(tensor, b["model"][key], atol=1e-5, rtol=1e-4), key
    loss_a = (runs / "single" / "metrics.csv").read_text().splitlines()[1].split(",")[1]
    loss_b = (runs / "ddp" / "metrics.csv").read_text().splitlines()[1].split(",")[1]
    assert float(loss_a) == pytest.approx(float(loss_b), rel=1e-4)
    assert (
        not (runs / "ddp" / "tensorboard").exists()
        or len(list((runs / "ddp" / "tensorboard").iterdir())) == 1
    )


def test_ddp_trains_without_deep_supervision(cache, tmp_path):
    """The coarse heads then get no gradient; DDP must be told, or the second step fails."""
    config = tmp_path / "no-ds.yaml"
    config.write_text("deep_supervision: false\n")
    launch = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2"]
    train = ["-m", "smart_brains", "train", str(cache), "--config", str(config), "--name", "ddp",
             "--runs-dir", str(tmp_path / "runs"), "--batch-size", "1", *COMMON]  # fmt: skip
    result = subprocess.run([*launch, *train], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    state = load_checkpoint(tmp_path / "runs" / "ddp" / "checkpoints" / "last.pt")
    assert state["state"]["global_step"] == 4
