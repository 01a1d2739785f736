import pytest
import torch

from smart_brains.errors import DataError
from smart_brains.models.registry import available_models, build_model


@pytest.mark.parametrize("name", ["unet", "segresnet"])
@pytest.mark.parametrize("size", [16, 24, 32])
@pytest.mark.parametrize("channels, out", [(4, 3), (2, 4)])
def test_output_shape(name, size, channels, out):
    model = build_model(name, "tiny", channels, out)
    with torch.no_grad():
        y = model(torch.zeros(1, channels, size, size, size))
    assert y.shape == (1, out, size, size, size)


def test_registry_lists_and_rejects():
    assert {"unet", "segresnet"} <= set(available_models())
    with pytest.raises(DataError, match="unknown model"):
        build_model("resnet9000", "tiny", 4, 3)
    with pytest.raises(DataError, match="unknown preset"):
        build_model("unet", "huge", 4, 3)
