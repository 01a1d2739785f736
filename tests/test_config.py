import pytest

from smart_brains.config import TrainConfig, config_from_dict, config_to_dict, load_config
from smart_brains.errors import DataError
from smart_brains.models.registry import PRESETS


def test_yaml_then_overrides(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text(
        "epochs: 7\nlr: 0.01\nmodalities: [t1ce, flair]\npatch_size_vox: [32, 32, 32]\n"
    )
    cfg = load_config(path, lr=0.5, name=None)
    assert (cfg.epochs, cfg.lr, cfg.modalities, cfg.patch_size_vox) == (
        7,
        0.5,
        ("t1ce", "flair"),
        (32, 32, 32),
    )


def test_round_trip_through_dict():
    cfg = TrainConfig(cache="c", loss="dice_ce")
    assert config_from_dict(config_to_dict(cfg)) == cfg
    assert cfg.output.name == "labels" and cfg.out_channels == 4
    assert TrainConfig().output.name == "regions"


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"loss": "focal"}, "--loss focal"),
        ({"optimizer": "lion"}, "--optimizer"),
        ({"epochs": 0}, "epochs"),
        ({"modalities": ("t3",)}, "modalities"),
    ],
)
def test_invalid_values(overrides, message):
    with pytest.raises(DataError, match=message):
        load_config(**overrides)


def test_unknown_key_and_bad_yaml(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("epochz: 3\n")
    with pytest.raises(DataError, match="unknown config key"):
        load_config(bad)
    bad.write_text("epochs: [1\n")
    with pytest.raises(DataError, match="not valid YAML"):
        load_config(bad)


@pytest.mark.parametrize("name", ["configs/tiny_smoke.yaml", "configs/brats2021.yaml"])
def test_shipped_configs_load(name):
    from pathlib import Path

    cfg = load_config(Path(__file__).parents[1] / name)
    assert cfg.epochs >= 1


@pytest.mark.parametrize("preset", PRESETS)
def test_every_preset_has_a_patch_and_a_batch(preset):
    cfg = TrainConfig(cache="c", preset=preset).validate()
    assert len(cfg.patch_size_vox) == 3 and cfg.batch_size >= 1
