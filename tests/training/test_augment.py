import math

import torch

from smart_brains.training.augment import apply_augment, rotation_scale_matrix, sample_params


def _batch(params_list):
    return {k: torch.stack([p[k] for p in params_list]) for k in params_list[0]}


def _scene():
    """Image whose channel 0 equals the label mask, so alignment can be checked voxel by voxel."""
    labels = torch.zeros(24, 24, 24, dtype=torch.long)
    labels[6:14, 8:18, 5:12] = 2
    labels[9:12, 10:14, 7:10] = 3
    image = torch.stack([(labels > 0).float(), (labels == 3).float()])
    return image[None], labels[None]


def test_same_seed_same_parameters():
    a = sample_params(torch.Generator().manual_seed(3), 4)
    b = sample_params(torch.Generator().manual_seed(3), 4)
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_spatial_transform_keeps_image_and_label_aligned():
    image, labels = _scene()
    g = torch.Generator().manual_seed(0)
    p = sample_params(g, 2)
    p["angles"] = torch.tensor([0.4, -0.3, 0.2])
    p["scale"] = torch.tensor([1.2])
    p["elastic"] = torch.randn(p["elastic"].shape, generator=g) * 0.03
    p["flip"] = torch.tensor([True, False, True])
    for key in ("noise_std", "blur_sigma"):
        p[key] = torch.zeros(1)
    for key in ("brightness", "contrast"):
        p[key] = torch.ones(2)
    for key in ("lowres", "gamma", "gamma_inverted"):
        p[key] = torch.ones(1)
    out_image, out_labels = apply_augment(image, labels, _batch([p]))
    assert out_labels.dtype == torch.long
    assert set(out_labels.unique().tolist()) <= {0, 2, 3}
    tumour = out_labels[0] > 0
    assert tumour.sum() > 100  # the lesion survived the transform
    agree = ((out_image[0, 0] > 0.5) == tumour).float().mean()
    assert agree > 0.97
    assert ((out_image[0, 1] > 0.5) == (out_labels[0] == 3)).float().mean() > 0.98
    assert not torch.equal(out_labels, labels)  # it did move


def test_region_targets_follow_mirroring_exactly():
    image, labels = _scene()
    regions = torch.stack([labels > 0, labels == 3, labels == 3]).float()[None]
    p = sample_params(torch.Generator().manual_seed(1), 2)
    p.update(
        angles=torch.zeros(3), scale=torch.ones(1), elastic=torch.zeros_like(p["elastic"]),
        flip=torch.tensor([False, True, False]), noise_std=torch.zeros(1), blur_sigma=torch.zeros(1),
        brightness=torch.ones(2), contrast=torch.ones(2), lowres=torch.ones(1),
        **IDENTITY_PER_CHANNEL,
    )  # fmt: skip
    out_image, out_regions = apply_augment(image, regions, _batch([p]))
    assert torch.equal(out_regions, regions.flip(3))
    assert torch.allclose(out_image, image.flip(3))


def test_intensity_augmentation_changes_only_intensities():
    image = torch.randn(1, 2, 16, 16, 16)
    labels = torch.zeros(1, 16, 16, 16, dtype=torch.long)
    params = None
    for seed in range(200):  # find a draw with every intensity transform and no spatial one
        p = sample_params(torch.Generator().manual_seed(seed), 2)
        if (
            p["angles"].abs().sum() == 0
            and p["scale"] == 1
            and p["elastic"].abs().sum() == 0
            and (p["gamma"] != 1).any()
        ):
            params = p
            break
    assert params is not None
    out, out_labels = apply_augment(image, labels, _batch([params]))
    assert torch.equal(out_labels, labels)
    assert out.shape == image.shape and not torch.allclose(out, image)


IDENTITY_PER_CHANNEL = dict(
    gamma=torch.ones(2), gamma_inverted=torch.ones(2), gain=torch.ones(2), shift=torch.zeros(2),
    bias=torch.zeros(2, 4, 4, 4), slice_zoom=torch.ones(2), slice_axis=torch.zeros(2, dtype=torch.long),
)  # fmt: skip


def test_each_modality_gets_its_own_acquisition():
    """Thick slices and gamma on one channel leave the other untouched (2D FLAIR, 3D T1)."""
    image = torch.randn(1, 2, 16, 16, 16)
    labels = torch.zeros(1, 16, 16, 16, dtype=torch.long)
    p = sample_params(torch.Generator().manual_seed(0), 2)
    p.update(
        angles=torch.zeros(3), scale=torch.ones(1), elastic=torch.zeros_like(p["elastic"]),
        flip=torch.zeros(3, dtype=torch.bool), noise_std=torch.zeros(1), blur_sigma=torch.zeros(1),
        brightness=torch.ones(2), contrast=torch.ones(2), lowres=torch.ones(1),
        **IDENTITY_PER_CHANNEL,
    )  # fmt: skip
    p.update(slice_zoom=torch.tensor([0.25, 1.0]), slice_axis=torch.tensor([2, 0]))
    p.update(gamma=torch.tensor([1.4, 1.0]))
    out, _ = apply_augment(image, labels, _batch([p]))
    assert torch.allclose(out[0, 1], image[0, 1], atol=1e-5)
    along_z = (out[0, 0].diff(dim=2)).abs().mean()
    along_x = (out[0, 0].diff(dim=0)).abs().mean()
    assert along_z < 0.5 * along_x  # thick slices cut along z
    p.update(slice_zoom=torch.ones(2), gamma=torch.ones(2), gain=torch.tensor([1.1, 1.0]),
             shift=torch.tensor([0.0, 0.1]))  # fmt: skip
    out, _ = apply_augment(image, labels, _batch([p]))
    assert torch.allclose(out[0, 0], 1.1 * image[0, 0]) and torch.allclose(
        out[0, 1], image[0, 1] + 0.1
    )


def test_rotation_matrix_is_a_scaled_rotation():
    theta = rotation_scale_matrix(torch.tensor([[0.3, -0.2, 1.0]]), torch.tensor([[2.0]]))
    m = theta[0, :, :3]
    assert torch.allclose(m @ m.T, torch.eye(3) / 4, atol=1e-6)
    assert math.isclose(float(torch.det(m)), 1 / 8, rel_tol=1e-5)
