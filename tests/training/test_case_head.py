"""The case-class head trained jointly with the segmentation: loss, training, resume, predict."""

import dataclasses

import pandas as pd
import pytest
import torch

from smart_brains.cli import main
from smart_brains.config import TrainConfig
from smart_brains.errors import DataError
from smart_brains.models.outputs import IGNORE
from smart_brains.models.registry import build_model
from smart_brains.training.loop import fit
from smart_brains.training.losses import CaseClassLoss


def test_loss_ignores_unlabelled_patches_and_keeps_the_head_in_the_graph():
    logits = torch.tensor([[2.0, 0.0], [0.0, 2.0], [5.0, -5.0]], requires_grad=True)
    loss = CaseClassLoss(0.5)(logits, torch.tensor([0, IGNORE, IGNORE]))
    expected = 0.5 * torch.nn.functional.cross_entropy(logits[:1], torch.tensor([0]))
    assert torch.isclose(loss, expected)
    none = CaseClassLoss(0.5)(logits, torch.full((3,), IGNORE))
    none.backward()
    assert none.item() == 0 and logits.grad is not None


def test_head_reads_the_bottleneck_in_training_and_classify_at_inference():
    model = build_model("multiscale", "tiny", 4, 3, n_classes=3).train()
    segmentation, logits = model(torch.zeros(2, 4, 32, 32, 32))
    assert isinstance(segmentation, list) and logits.shape == (2, 3)
    model.eval()
    assert model(torch.zeros(1, 4, 32, 32, 32)).shape == (1, 3, 32, 32, 32)
    assert model.classify(torch.zeros(1, 4, 20, 28, 24)).shape == (1, 3)
    with pytest.raises(DataError, match="multiscale"):
        build_model("unet", "tiny", 4, 3, n_classes=2)


@pytest.fixture(scope="module")
def joint_run(synthetic_cache, tmp_path_factory):
    cfg = TrainConfig(
        cache=str(synthetic_cache), name="joint", runs_dir=str(tmp_path_factory.mktemp("runs")),
        epochs=2, steps_per_epoch=3, batch_size=2, patch_size_vox=(24, 24, 24), num_workers=0,
        device="cpu", class_target="kind",
    )  # fmt: skip
    return cfg, fit(cfg, progress=False)


def test_joint_training_saves_its_classes_and_validates_them(joint_run):
    cfg, run = joint_run
    saved = pd.read_csv(run.metrics)
    assert "val_class_accuracy" in saved and saved["val_class_accuracy"].between(0, 1).all()
    text = run.config.read_text()
    assert "class_target: kind" in text and "classes:" in text
    changed = dataclasses.replace(cfg, class_target="site")  # another column of labels.csv
    with pytest.raises(DataError, match="cannot resume with a different class_target"):
        fit(changed, resume=True, progress=False)


def test_predict_writes_classes_beside_the_segmentations_folder(
    joint_run, synthetic_cache, tmp_path, capsys
):
    _, run = joint_run
    data = synthetic_cache.parent / "data"
    out = tmp_path / "pred"
    assert (
        main(["predict", str(data), "--model", str(run.root), "--out", str(out), "--device", "cpu"])
        == 0
    )
    classes = pd.read_csv(tmp_path / "pred-extras" / "classes.csv", dtype={"case_id": str})
    labels = pd.read_csv(data / "labels.csv", dtype=str)
    assert list(classes["case_id"]) == list(labels["case_id"])
    probabilities = classes[[c for c in classes if c.startswith("p_")]]
    assert probabilities.sum(axis=1).round(5).eq(1).all()
    assert set(classes["predicted"]) <= {c[2:] for c in probabilities}
    assert "classes.csv" in capsys.readouterr().out


def test_the_head_needs_the_multiscale_network(synthetic_cache, capsys):
    code = main(
        ["train", str(synthetic_cache), "--model", "unet", "--target", "kind", "--epochs", "1"]
    )
    assert code == 2 and "multiscale" in capsys.readouterr().err
