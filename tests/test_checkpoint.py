import pickle

import pytest
import torch

from smart_brains.checkpoint import load_checkpoint, save_checkpoint
from smart_brains.errors import DataError


def test_round_trip_and_version(tmp_path):
    path = tmp_path / "ck" / "last.pt"
    save_checkpoint(path, {"model": {"w": torch.ones(2)}, "epoch": 3, "config": {"lr": 0.1}})
    state = load_checkpoint(path)
    assert state["epoch"] == 3 and torch.equal(state["model"]["w"], torch.ones(2))
    assert "version" in state
    assert [p.name for p in path.parent.iterdir()] == ["last.pt"]  # no temporary left


def test_mapped_load_reads_every_format(tmp_path):
    """Prediction maps checkpoints (weights read on use); a legacy-format file is read whole."""
    for legacy in (False, True):
        path = tmp_path / f"legacy{legacy}.pt"
        torch.save({"model": {"w": torch.arange(3.0)}}, path,
                   _use_new_zipfile_serialization=not legacy)  # fmt: skip
        assert torch.equal(load_checkpoint(path, mmap=True)["model"]["w"], torch.arange(3.0))
    with pytest.raises(DataError, match="not a readable"):
        (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
        load_checkpoint(tmp_path / "junk.pt", mmap=True)


class Evil:
    def __reduce__(self):
        return (print, ("pwned",))


def test_a_checkpoint_that_would_run_code_is_refused(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"model": Evil()}, path, pickle_module=pickle)
    with pytest.raises(DataError, match="not a readable"):
        load_checkpoint(path)


def test_a_failed_checkpoint_write_keeps_the_previous_one(tmp_path, monkeypatch):
    import pytest
    import torch

    from smart_brains.checkpoint import load_checkpoint, save_checkpoint
    from smart_brains.errors import DataError

    path = tmp_path / "last.pt"
    save_checkpoint(path, {"step": 1})

    def full(obj, f):
        open(f, "wb").write(b"cut short")
        raise RuntimeError(
            "[enforce fail at inline_container.cc] . PytorchStreamWriter failed writing file"
        )

    monkeypatch.setattr(torch, "save", full)
    with pytest.raises(
        DataError, match="last.pt: could not write the checkpoint.*previous one is kept"
    ):
        save_checkpoint(path, {"step": 2})
    assert load_checkpoint(path)["step"] == 1 and sorted(p.name for p in tmp_path.iterdir()) == [
        "last.pt"
    ]
