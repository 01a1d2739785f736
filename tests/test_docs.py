"""The docs' commands run as written: every ```bash block of docs/*.md, in page order, in a
sandbox that holds tiny generated stand-ins for the folders the pages name (``data/BraTS2021``,
``data/BraTS2023-GLI``, ``scan/``, ``sources/``) and a tiny ``configs/brats2021.yaml`` (the
real one trains for hours on a GPU). Blocks that need a GPU or a Grid Engine cell are ```text
blocks; the cluster tests run those."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import make_phantom_case

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
TINY_CONFIG = """model: multiscale
preset: tiny
optimizer: adamw
lr: 0.01
epochs: 1
steps_per_epoch: 2
batch_size: 1
patch_size_vox: [24, 24, 24]
val_every: 1
num_workers: 0
device: cpu
"""


def bash_blocks(page: Path) -> list[str]:
    """The ```bash blocks of ``page``, in order."""
    return re.findall(r"^```bash\n(.*?)^```", page.read_text(), re.S | re.M)


PAGES = [p for p in sorted(DOCS.glob("*.md")) if bash_blocks(p)]


def _run(command: list[str] | str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    if isinstance(command, str):
        command = ["bash", "-euo", "pipefail", "-c", command]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory) -> Path:
    """Everything the pages name, small."""
    box = tmp_path_factory.mktemp("docs")
    shutil.copytree(ROOT / "configs", box / "configs")
    (box / "configs" / "brats2021.yaml").write_text(TINY_CONFIG)
    for args in (
        ["--n", "10", "--spacing", "4", "--seed", "3", "--out", "data/BraTS2021"],
        ["--timepoints", "2", "--n", "5", "--spacing", "4", "--out", "data/BraTS2023-GLI"],
        # a validation set as the challenge gives it: the BraTS grid (submit checks it), no seg
        [
            "--timepoints",
            "2",
            "--n",
            "1",
            "--spacing",
            "1",
            "--out",
            "data/BraTS2023-GLI-Validation",
        ],
    ):
        done = _run(["smart-brains", "synth", *args], box)
        assert done.returncode == 0, done.stderr[-2000:]
    validation = box / "data" / "BraTS2023-GLI-Validation"
    for path in [*validation.glob("*/*seg*"), *validation.glob("*.csv")]:
        path.unlink()
    case = box / "data" / "BraTS2021" / "BraTS2021_00001"
    (box / "scan").mkdir()
    for m in ("t1", "t1ce", "t2", "flair"):
        shutil.copy(case / f"BraTS2021_00001_{m}.nii.gz", box / "scan" / f"{m}.nii.gz")
    for i in (1, 2):
        make_phantom_case(box / "sources", f"case{i}", seed=i)
    return box


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_every_command_of_a_page_runs_as_written(page, sandbox, tmp_path):
    box = tmp_path / "box"
    shutil.copytree(sandbox, box, symlinks=True)
    for block in bash_blocks(page):
        done = _run(block, box)
        assert done.returncode == 0, f"{page.name}:\n{block}\n{done.stderr[-3000:]}"


def test_the_docs_are_linked_from_the_readme_and_link_to_what_exists():
    readme = (ROOT / "README.md").read_text()
    for page in DOCS.glob("*.md"):
        assert f"docs/{page.name}" in readme, f"{page.name} is not in the README's contents"
    for page in [ROOT / "README.md", *DOCS.glob("*.md")]:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text()):
            assert (page.parent / target).exists(), f"{page.name}: broken link {target}"
