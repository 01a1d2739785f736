import pytest
import torch

from smart_brains.training.losses import build_loss, downsample_target


@pytest.mark.parametrize("name", ["dice_bce", "dice", "bce"])
def test_region_losses_prefer_the_right_answer(name):
    target = torch.zeros(1, 3, 8, 8, 8)
    target[:, :, 2:6, 2:6, 2:6] = 1
    loss = build_loss(name)
    assert loss(target * 20 - 10, target) < loss(-(target * 20 - 10), target)


@pytest.mark.parametrize("name", ["ce", "dice_ce", "mdice"])
def test_label_losses_prefer_the_right_answer(name):
    labels = torch.zeros(1, 8, 8, 8, dtype=torch.long)
    labels[:, 2:6, 2:6, 2:6] = 3
    good = torch.nn.functional.one_hot(labels, 4).permute(0, 4, 1, 2, 3).float() * 20
    loss = build_loss(name)
    assert loss(good, labels) < loss(good.flip(1), labels)


def test_deep_supervision_weights_halve_per_level():
    target = torch.zeros(1, 3, 8, 8, 8)
    perfect = target * 0 - 30  # confident and right
    wrong_coarse = torch.zeros(1, 3, 4, 4, 4) + 30  # confident and wrong
    loss = build_loss("bce")
    full_only = loss([perfect, perfect[:, :, ::2, ::2, ::2]], target)
    with_bad = loss([perfect, wrong_coarse], target)
    assert full_only < 1e-6
    # weights 1 and 1/2, normalised: the coarse level contributes a third of its own loss
    coarse_alone = float(loss(wrong_coarse, target[:, :, ::2, ::2, ::2]))
    assert float(with_bad) == pytest.approx(coarse_alone / 3, rel=1e-4)


def test_downsample_target_keeps_labels_integer():
    labels = torch.randint(0, 4, (2, 8, 8, 8))
    small = downsample_target(labels, torch.Size([4, 4, 4]))
    assert small.dtype == torch.long and small.shape == (2, 4, 4, 4)
    assert set(small.unique().tolist()) <= set(labels.unique().tolist())
