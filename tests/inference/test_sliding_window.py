"""Sliding-window inference with batched mirroring: blending, un-mirroring, edges."""

import numpy as np
import torch
from torch import nn

from smart_brains.inference.sliding_window import (
    blended_logits,
    gaussian_weights,
    window_starts,
)
from smart_brains.inference.tta import flip_sets


class CumulativeSum(nn.Module):
    """Not mirror-equivariant: a cumulative sum along every spatial axis of channel 0."""

    def forward(self, x):
        return x[:, :1].cumsum(2).cumsum(3).cumsum(4)


def test_windows_cover_the_axis_and_the_last_is_flush_with_the_end():
    assert window_starts(48, 48, 0.25) == [0]
    assert window_starts(30, 48, 0.5) == [0]
    starts = window_starts(100, 48, 0.25)
    assert (
        starts[0] == 0 and starts[-1] == 52 and all(b - a <= 36 for a, b in zip(starts, starts[1:]))
    )
    weights = gaussian_weights((8, 9, 10))
    assert weights.max() == 1.0 and weights.min() >= 1e-3 and weights.shape == (8, 9, 10)


def test_each_mirror_member_is_mapped_back_onto_the_image_grid():
    image = torch.rand(2, 6, 7, 8)
    flips = flip_sets("8")
    members = blended_logits(CumulativeSum(), image, (6, 7, 8), flips=flips)
    assert members.shape == (8, 1, 6, 7, 8)
    for f, axes in enumerate(flips):
        dims = [a + 1 for a in axes]
        expected = CumulativeSum()(image.flip(dims)[None])[0].flip(dims) if axes else (
            CumulativeSum()(image[None])[0]
        )  # fmt: skip
        assert torch.allclose(members[f], expected, atol=1e-4), axes


def test_blending_overlapping_windows_of_a_pointwise_model_is_exact():
    conv = nn.Conv3d(4, 3, 1)
    image = torch.rand(4, 30, 25, 20)
    got = blended_logits(conv, image, (16, 16, 16), overlap=0.5, batch_size=3)
    with torch.no_grad():
        assert torch.allclose(got[0], conv(image[None])[0], atol=1e-5)


def test_an_image_smaller_than_the_window_is_padded_and_cropped_back():
    conv = nn.Conv3d(4, 3, 3, padding=1)
    image = torch.rand(4, 10, 14, 12)  # one window: the values must be the whole image's
    flips = flip_sets("3")
    got = blended_logits(conv, image, (16, 16, 16), flips=flips)
    assert got.shape == (4, 3, 10, 14, 12)
    with torch.no_grad():  # zero padding beyond the image is what the conv's own padding sees
        for member, axes in zip(got, flips):
            dims = [d + 1 for d in axes]
            expected = conv(image.flip(dims)[None])[0].flip(dims)
            assert torch.allclose(member, expected, atol=1e-5), axes


def test_matches_monai_sliding_window_closely():
    from monai.inferers import sliding_window_inference

    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv3d(2, 4, 3, padding=1), nn.ReLU(), nn.Conv3d(4, 2, 3, padding=1)
    ).eval()
    image = torch.rand(2, 40, 36, 30)
    ours = blended_logits(net, image, (16, 16, 16), overlap=0.25)[0]
    with torch.no_grad():
        theirs = sliding_window_inference(
            image[None], (16, 16, 16), 2, net, overlap=0.25, mode="gaussian"
        )[0]
    assert float((ours - theirs).abs().max()) < 1e-2
    assert np.corrcoef(ours.flatten().numpy(), theirs.flatten().numpy())[0, 1] > 0.9999
