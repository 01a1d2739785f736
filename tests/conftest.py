"""Tiny fake datasets in tmp dirs, in every supported layout."""

from __future__ import annotations

import json
import os
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest

SHAPE = (16, 14, 10)
# The real case lives outside the repository (../shared); $SMART_BRAINS_REAL_CASE points elsewhere
# (CI points it at nothing once, to prove that every test using it skips without it).
REAL_CASE = Path(
    os.environ.get(
        "SMART_BRAINS_REAL_CASE",
        Path(__file__).resolve().parents[2] / "shared" / "data" / "real-case" / "TCGA-FG-6692",
    )
)
# the four expert-labelled validation cases beside it (never used to build training data)
REAL_VAL = REAL_CASE.parent.parent / "real-val"
BRATS_AFFINE = np.array([[-1.0, 0, 0, 0], [0, -1.0, 0, 13], [0, 0, 1.0, 0], [0, 0, 0, 1]])


def save(data: np.ndarray, path: Path, affine: np.ndarray = BRATS_AFFINE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nib.save(nib.Nifti1Image(data, affine), str(path))
    return path


def fake_volumes(
    seed: int = 0, shape: tuple[int, int, int] = SHAPE
) -> tuple[list[np.ndarray], np.ndarray]:
    """Four int16 'modalities' with a zero border (skull-stripped) and internal labels 0..3."""
    rng = np.random.default_rng(seed)
    brain = np.zeros(shape, dtype=bool)
    brain[2:-2, 3:-2, 1:-1] = True
    images = [np.where(brain, rng.integers(100, 1000, shape), 0).astype(np.int16) for _ in range(4)]
    labels = np.zeros(shape, dtype=np.uint8)
    labels[5:10, 5:9, 3:7] = 2
    labels[6:9, 6:8, 4:6] = 1
    labels[7:9, 6:8, 4:5] = 3
    return images, labels


BRATS21 = {"t1": "t1", "t1ce": "t1ce", "t2": "t2", "flair": "flair"}
BRATS23 = {"t1": "t1n", "t1ce": "t1c", "t2": "t2w", "flair": "t2f"}
ENCODE = {
    "brats2021": {0: 0, 1: 1, 2: 2, 3: 4},
    "brats2023": {0: 0, 1: 1, 2: 2, 3: 3},
    "msd": {0: 0, 1: 2, 2: 1, 3: 3},
}


def encode(labels: np.ndarray, convention: str) -> np.ndarray:
    out = np.zeros_like(labels)
    for internal, value in ENCODE[convention].items():
        out[labels == internal] = value
    return out


def make_suffixed(
    root: Path,
    case_id: str,
    suffixes: dict[str, str] = BRATS21,
    sep: str = "_",
    ext: str = ".nii.gz",
    convention: str = "brats2021",
    nested: bool = True,
    seg: bool = True,
    seed: int = 0,
) -> Path:
    folder = root / case_id if nested else root
    images, labels = fake_volumes(seed)
    for suffix, data in zip(suffixes.values(), images):
        save(data, folder / f"{case_id}{sep}{suffix}{ext}")
    if seg:
        save(encode(labels, convention), folder / f"{case_id}{sep}seg{ext}")
    return folder


def phantom(shape: tuple[int, int, int] = (60, 70, 48), seed: int = 0):
    """A brain-like phantom on a 2 mm BraTS-oriented grid: an ellipsoid brain with a grey-matter
    shell (4 mm) over white matter, two CSF ventricles either side of the midline, and a
    tumour (internal labels) in the left hemisphere. Returns (images (4, X, Y, Z) float32 in
    t1, t1ce, t2, flair order, CSF/GM/WM levels per modality below, labels, affine)."""
    rng = np.random.default_rng(seed)
    grid = np.indices(shape, dtype=np.float32)
    centre = (np.asarray(shape, np.float32) - 1) / 2
    radii = np.asarray(shape, np.float32) * np.array([0.42, 0.42, 0.42])
    r = np.sqrt(
        ((grid - centre[:, None, None, None]) ** 2 / radii[:, None, None, None] ** 2).sum(0)
    )
    brain = r < 1
    white = r < 0.8
    ventricles = np.zeros(shape, bool)
    for side in (-1, 1):
        c = centre + np.array([side * 4, 0, 2])
        ventricles |= (
            ((grid - c[:, None, None, None]) / np.array([2, 8, 3])[:, None, None, None]) ** 2
        ).sum(0) < 1
    levels = {  # csf, grey, white per modality
        "t1": (300, 600, 850), "t1ce": (320, 620, 860), "t2": (1600, 950, 620), "flair": (300, 1000, 720),
    }  # fmt: skip
    images = []
    for csf, grey, wm in levels.values():
        x = np.where(white, wm, grey).astype(np.float32)
        x[ventricles] = csf
        images.append((x + rng.normal(0, 10, shape)).astype(np.float32) * brain)
    labels = np.zeros(shape, np.uint8)
    tumour_centre = centre + np.array([10, -6, 0])
    d = np.sqrt(((grid - tumour_centre[:, None, None, None]) ** 2).sum(0))
    labels[(d < 7) & brain] = 2
    labels[d < 4] = 1
    labels[(d >= 3) & (d < 4)] = 3
    affine = np.diag([-2.0, -2.0, 2.0, 1.0])
    affine[1, 3] = (shape[1] - 1) * 2.0
    return np.stack(images), levels, labels, affine


def make_phantom_case(root: Path, case_id: str, seed: int = 0) -> Path:
    """``phantom`` written as a BraTS 2021 case folder (int16 images, labels 0/1/2/4)."""
    images, _, labels, affine = phantom(seed=seed)
    for name, data in zip(BRATS21, images):
        save(np.round(data).astype(np.int16), root / case_id / f"{case_id}_{name}.nii.gz", affine)
    save(encode(labels, "brats2021"), root / case_id / f"{case_id}_seg.nii.gz", affine)
    return root / case_id


def make_msd(root: Path, case_ids: list[str], seed: int = 0) -> Path:
    (root / "imagesTr").mkdir(parents=True, exist_ok=True)
    meta = {"name": "BRATS", "modality": {"0": "FLAIR", "1": "T1w", "2": "t1gd", "3": "T2w"}}
    (root / "dataset.json").write_text(json.dumps(meta))
    for i, case_id in enumerate(case_ids):
        images, labels = fake_volumes(seed + i)
        t1, t1ce, t2, flair = images
        save(np.stack([flair, t1, t1ce, t2], axis=-1), root / "imagesTr" / f"{case_id}.nii.gz")
        save(encode(labels, "msd"), root / "labelsTr" / f"{case_id}.nii.gz")
    return root


@pytest.fixture
def brats21(tmp_path: Path) -> Path:
    root = tmp_path / "brats21"
    for i in range(3):
        make_suffixed(root, f"BraTS2021_{i:05d}", seed=i)
    return root


@pytest.fixture(scope="session")
def synthetic_cache(tmp_path_factory) -> Path:
    """Three synthetic cases at 4 mm, prepared: for training tests."""
    from smart_brains.data.cache import prepare
    from smart_brains.synth.cohort import synth_cohort

    root = tmp_path_factory.mktemp("synthetic")
    synth_cohort(root / "data", n_cases=3, seed=5, spacing_mm=4.0, progress=False)
    prepare(root / "data", root / "cache", progress=False)
    return root / "cache"


@pytest.fixture(scope="session")
def trained_run(synthetic_cache: Path) -> Path:
    """A tiny multiscale run trained briefly on ``synthetic_cache``: for inference and reports."""
    from smart_brains.config import TrainConfig
    from smart_brains.training.loop import fit

    cfg = TrainConfig(
        cache=str(synthetic_cache),
        name="tiny",
        runs_dir=str(synthetic_cache.parent / "runs"),
        epochs=2,
        steps_per_epoch=3,
        batch_size=1,
        patch_size_vox=(24, 24, 24),
        val_every=1,
        num_workers=0,
        device="cpu",
    )
    return fit(cfg, progress=False).root


@pytest.fixture
def real_case() -> Path:
    """The real TCGA-FG-6692 case folder; the test skips, with the reason, when it is absent."""
    if not REAL_CASE.is_dir():
        pytest.skip(
            f"real case not found at {REAL_CASE} (it lives in ../shared, outside the repository)"
        )
    return REAL_CASE


@pytest.fixture
def real_val() -> Path:
    """The folder of real validation cases; the test skips, with the reason, when it is absent."""
    if not REAL_VAL.is_dir():
        pytest.skip(f"real validation cases not found at {REAL_VAL} (they live in ../shared)")
    return REAL_VAL


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that use ``real_case`` or ``real_val`` get the ``real_case`` marker (``-m
    real_case`` selects them)."""
    for item in items:
        if {"real_case", "real_val"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.real_case)
