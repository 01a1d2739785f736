import pytest
import torch

from smart_brains.errors import DataError
from smart_brains.models.registry import available_models, build_model


@pytest.mark.parametrize("name", ["multiscale", "unet", "segresnet", "plainconvunet"])
@pytest.mark.parametrize("size", [(16, 16, 16), (19, 24, 13), (33, 20, 27)])
@pytest.mark.parametrize("channels, out", [(4, 3), (1, 4), (2, 3)])
def test_any_size_and_modality_subset(name, size, channels, out):
    model = build_model(name, "tiny", channels, out).eval()
    with torch.no_grad():
        y = model(torch.zeros(1, channels, *size))
    assert y.shape == (1, out, *size)


@pytest.mark.parametrize("name", ["multiscale", "plainconvunet"])
def test_deep_supervision_outputs_in_training_only(name):
    """nnU-Net's network trains with deep supervision as nnU-Net does, as ours does."""
    model = build_model(name, "tiny", 4, 3).train()
    outputs = model(torch.zeros(2, 4, 24, 20, 17))
    assert [tuple(o.shape[2:]) for o in outputs] == [(24, 20, 17), (12, 10, 9), (6, 5, 5)]
    assert model.eval()(torch.zeros(1, 4, 24, 20, 17)).shape == (1, 3, 24, 20, 17)
    assert isinstance(model.train()(torch.zeros(1, 4, 16, 16, 16)), list)


def test_registry_lists_and_rejects():
    assert {"multiscale", "unet", "segresnet", "plainconvunet"} <= set(available_models())
    with pytest.raises(DataError, match="unknown model"):
        build_model("resnet9000", "tiny", 4, 3)
    with pytest.raises(DataError, match="unknown preset"):
        build_model("unet", "huge", 4, 3)


def test_model_info_counts_flops_and_fields():
    from monai.networks.nets import UNet

    from smart_brains.models.info import format_info, model_info

    # MONAI's UNet built here directly, with the settings the registry documents for tiny
    monai = UNet(3, 4, 3, channels=(8, 16, 32, 64), strides=(2, 2, 2), num_res_units=1,
                 norm="instance")  # fmt: skip
    assert model_info("unet", "tiny").parameters == sum(p.numel() for p in monai.parameters())
    info = model_info("multiscale", "tiny")
    assert round(info.parameters / 1e6, 2) == 0.38  # the README's model table
    assert 1 < info.gflops < 50
    assert info.output_field.rf_vox > 100
    text = format_info(info)
    assert "receptive field of the output" in text and "encoder" in text
