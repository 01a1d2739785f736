import nibabel as nib
import numpy as np
import pytest

from conftest import make_suffixed
from smart_brains.data.discovery import discover
from smart_brains.errors import DataError
from smart_brains.inference.export import write_segmentation


def test_geometry_and_header_kept(tmp_path):
    affine = np.array([[-0.9, 0.1, 0, 10], [0.05, -1.1, 0, 200], [0, 0, 1.2, -5], [0, 0, 0, 1]])
    src = nib.Nifti1Image(np.zeros((5, 6, 7, 4), np.int16), affine)
    src.header.set_qform(affine, code=2)
    src.header.set_sform(affine, code=1)
    labels = np.random.default_rng(0).integers(0, 4, (5, 6, 7)).astype(np.uint8)
    out = nib.load(str(write_segmentation(labels, src.affine, src.header, tmp_path / "p.nii.gz")))
    assert out.shape == (5, 6, 7)
    assert np.allclose(out.affine, affine, atol=1e-6)
    assert (int(out.header["qform_code"]), int(out.header["sform_code"])) == (2, 1)
    assert np.array_equal(np.asarray(out.dataobj), labels)
    assert [p.name for p in tmp_path.iterdir()] == ["p.nii.gz"]


def test_prediction_never_overwrites_an_input(tmp_path):
    from smart_brains.inference.predict import PredictOptions, Predictor

    make_suffixed(tmp_path, "X_1", nested=False)
    (case,) = discover(tmp_path)
    seg_named_like_prediction = tmp_path / "X_1.nii.gz"
    case = type(case)(
        case.case_id, case.images, seg_named_like_prediction, case.layout, case.convention
    )
    predictor = Predictor(models=[], cfg=None, device="cpu")  # type: ignore[arg-type]
    with pytest.raises(DataError, match="would overwrite an input"):
        predictor.predict_case(case, tmp_path, PredictOptions(overwrite=True))
