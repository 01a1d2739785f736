"""Receptive fields from geometry.py against a brute-force check: the gradient of one output
voxel with respect to the input is non-zero exactly inside its receptive field."""

import pytest
import torch

from smart_brains.models.geometry import Field, Layer, receptive_field
from smart_brains.models.multiscale import PRESETS, MultiScaleSpec, MultiScaleUNet


def test_chain_arithmetic():
    assert receptive_field([Layer(3), Layer(3)]) == Field(5, 1)
    assert receptive_field([Layer(3, stride=2), Layer(3)]) == Field(7, 2)
    assert receptive_field([Layer(3, dilation=4)]) == Field(9, 1)


LINE = 160  # voxels along the measured axis; the other two axes are 8


def _max_extent(out: torch.Tensor, x: torch.Tensor, period_vox: int = 16) -> int:
    """Widest dependence along axis 0 over ``period_vox`` input voxels around the centre
    (the position pattern of these networks repeats every 8 input voxels at most)."""
    widest = 0
    n, (_, _, _, ny, nz) = out.shape[2], out.shape
    for p in range(n // 2, n // 2 + max(1, period_vox * n // LINE)):
        (grad,) = torch.autograd.grad(out[0, 0, p, ny // 2, nz // 2], x, retain_graph=True)
        idx = torch.nonzero(grad[0, 0].abs().sum(dim=(1, 2)) > 0).flatten()
        lo, hi = int(idx.min()), int(idx.max())
        assert 0 < lo and hi < LINE - 1, "line too short for this test"
        widest = max(widest, hi - lo + 1)
    return widest


SPECS = [
    MultiScaleSpec(
        (2, 2, 2), (1, 1, 1), ((1, 2), (1, 3), (1, 2)), decoder_blocks=(1, 1), norm="none"
    ),
    MultiScaleSpec(
        (2, 2, 2),
        (1, 2, 1),
        ((1,), (1, 2), (2,)),
        decoder_blocks=(1, 1),
        norm="none",
        stem_stride=2,
    ),
]


@pytest.mark.parametrize("spec", SPECS, ids=["full-res stem", "strided stem"])
def test_every_branch_and_the_output_match_brute_force(spec):
    torch.manual_seed(0)
    model = MultiScaleUNet(1, 1, spec).double().eval()
    x = torch.randn(1, 1, LINE, 8, 8, dtype=torch.float64, requires_grad=True)
    captured = {}
    for where, stages in (("encoder", model.encoder), ("decoder", model.decoder)):
        for s, stage in enumerate(stages):
            for b, block in enumerate(stage):
                for d, branch in zip(block.dilations, block.branches):
                    key = (where, s, b, d)
                    branch.register_forward_hook(
                        lambda m, i, o, key=key: captured.__setitem__(key, o)
                    )
    y = model(x)
    branches, out_field = spec.fields()
    assert len(branches) == len(captured)
    for field in branches:
        out = captured[(field.where, field.stage, field.block, field.dilation)]
        assert _max_extent(out, x) == field.rf_vox, field
    assert _max_extent(y, x) == out_field.rf_vox


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_presets_see_more_context_at_each_stage(preset):
    branches, out = PRESETS[preset].fields()
    encoder = [f for f in branches if f.where == "encoder"]
    stages = sorted({f.stage for f in encoder})
    widest = [max(f.rf_vox for f in encoder if f.stage == s) for s in stages]
    assert widest == sorted(widest) and out.rf_vox >= widest[-1]
    # within a block, a wider dilation sees a wider field: several scales side by side
    for stage in stages[1:]:
        block = [f.rf_vox for f in encoder if f.stage == stage and f.block == 0]
        assert block == sorted(block) and len(set(block)) == len(block) > 1
