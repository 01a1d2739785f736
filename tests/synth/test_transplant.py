"""The real-appearance generator: cases from real case folders, deterministic, in the BraTS
2021 layout, labels that stay labels, and a second tumour transplanted."""

import json

import nibabel as nib
import numpy as np
import pytest

from conftest import make_suffixed
from smart_brains.cli import main
from smart_brains.data.check import check_dataset
from smart_brains.errors import DataError
from smart_brains.synth.hosts import load_source
from smart_brains.synth.transplant import transplant_case


@pytest.fixture
def sources(tmp_path):
    return [make_suffixed(tmp_path / "src", f"BraTS2021_0000{i}", seed=i) for i in range(2)]


def test_cases_are_deterministic_and_labelled(sources, tmp_path):
    loaded = [load_source(s, 1.0) for s in sources]
    a = transplant_case(loaded, seed=3, index=1)
    b = transplant_case(loaded, seed=3, index=1)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    images, labels, affine, params = a
    assert images.shape == (4, *labels.shape) and images.dtype == np.float32
    assert set(np.unique(labels)) <= {0, 1, 2, 3} and (labels > 0).any()
    assert params["host"] in {"BraTS2021_00000", "BraTS2021_00001"}
    assert not np.array_equal(transplant_case(loaded, 3, 2)[0], images)


def test_the_cli_writes_a_brats_cohort_that_checks_clean(sources, tmp_path, capsys):
    out = tmp_path / "cohort"
    args = ["synth", "--out", str(out), "--n", "3", "--spacing", "2"]
    assert main([*args, *(a for s in sources for a in ("--real-source", str(s)))]) == 0
    assert "wrote 3 cases from 2 real brains" in capsys.readouterr().out
    found, problems, _ = check_dataset(out)
    assert problems == [] and len(found.cases) == 3
    seg = nib.load(str(out / "BraTS2021_00000" / "BraTS2021_00000_seg.nii.gz"))
    assert seg.header.get_zooms() == (2.0, 2.0, 2.0)
    assert set(np.unique(np.asarray(seg.dataobj))) <= {0, 1, 2, 4}
    cohort = json.loads((out / "cohort.json").read_text())
    assert cohort["generator"] == "real" and cohort["tumours"] == "transplant"


def test_a_source_without_a_segmentation_is_refused(tmp_path):
    folder = make_suffixed(tmp_path / "src", "BraTS2021_00009", seed=0)
    next(folder.glob("*_seg.nii.gz")).unlink()
    with pytest.raises(DataError, match="seg"):
        load_source(folder, 2.0)


def test_a_second_tumour_is_transplanted_into_the_host(tmp_path):
    """On brains large enough for it, a donor's tumour lands in the host beside its own."""
    from scipy import ndimage

    from conftest import make_phantom_case

    sources = [load_source(make_phantom_case(tmp_path, f"BraTS2021_0000{i}", seed=i), 2.0)
               for i in range(2)]  # fmt: skip
    grown = 0
    for index in range(8):
        images, labels, _, params = transplant_case(sources, seed=1, index=index)
        if params["donor"] is None:
            continue
        _, count = ndimage.label(labels > 0)
        host = next(s for s in sources if s.name == params["host"])
        grown += count >= 2 and (labels > 0).sum() > 1.3 * (host.labels > 0).sum()
    assert grown >= 2  # the transplant path runs, and adds a tumour
