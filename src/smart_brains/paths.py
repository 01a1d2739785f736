"""RunDir: where every artefact of one training run lives. Paths are passed, never global."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path`` (same folder, same suffixes) to write to, renamed onto
    ``path`` when the block ends without error and removed otherwise: nobody ever sees a
    partially written file.

        with atomic_path(out) as tmp:
            nib.save(img, str(tmp))
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Remove ``atomic_path`` temporaries in ``folder`` whose writing process is gone (a killed
    run's ``.tmp-<pid>-<name>``); returns them. Those of running processes are left alone."""
    removed = []
    for tmp in Path(folder).glob(".tmp-*-*"):
        pid = tmp.name.split("-")[1]
        if pid.isdigit() and not _alive(int(pid)):
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def write_csv(table: Any, path: Path, index: bool = True) -> Path:
    """``table.to_csv`` (a DataFrame) written atomically; returns ``path``."""
    with atomic_path(path) as tmp:
        table.to_csv(tmp, index=index)
    return Path(path)


def write_text(path: Path, text: str) -> Path:
    """A text file written atomically; returns ``path``."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


@dataclass(frozen=True)
class RunDir:
    """Folder of one run: ``config.yaml``, ``metrics.csv``, ``checkpoints/{last,best}.pt``."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / "config.yaml"

    @property
    def metrics(self) -> Path:
        return self.root / "metrics.csv"

    @property
    def checkpoints(self) -> Path:
        return self.root / "checkpoints"

    @property
    def last(self) -> Path:
        return self.checkpoints / "last.pt"

    @property
    def best(self) -> Path:
        return self.checkpoints / "best.pt"

    @property
    def predictions(self) -> Path:
        return self.root / "predictions"

    @property
    def postprocessing(self) -> Path:
        """Tuned post-processing (``smart-brains tune-postprocessing``), read by predict."""
        return self.root / "postprocessing.json"

    @property
    def curves(self) -> Path:
        return self.root / "training_curves.png"

    @property
    def weights(self) -> Path:
        """The checkpoint a prediction uses: ``best.pt``, or ``last.pt`` if never validated."""
        return self.best if self.best.is_file() else self.last

    def create(self) -> RunDir:
        self.checkpoints.mkdir(parents=True, exist_ok=True)
        return self


def expand_runs(paths: Sequence[str | Path]) -> list[Path]:
    """Each path as given, except a folder that is not a run but holds runs (``fold0/``,
    ``fold1/``...: folders with a ``config.yaml``), which stands for all of them, sorted."""
    out = []
    for given in map(Path, paths):
        runs = sorted(p.parent for p in given.glob("*/config.yaml")) if given.is_dir() else []
        out.extend(runs if runs and not (given / "config.yaml").is_file() else [given])
    return out
