"""A cohort with real appearance: real brains, their real tumours, moved and re-contrasted.

SynthSeg's lesson (Billot et al. 2023) is that a network trained on generated images segments
real scans when what it trains on varies more than real scans do. Rendering contrasts from a
template (``cohort.py``) teaches shapes but not what tissue and tumour look like; this generator
starts from real skull-stripped cases of four modalities with a segmentation (any BraTS layout)
and makes every case new:

- anatomy: a random affine (rotation up to 12 degrees about every axis, per-axis scale 0.85-1.15,
  shift up to 8 mm, a left-right flip half the time) and a smooth elastic field (3-6 mm);
- tumours: the source's own tumour, moved with its brain, and with ``transplant_rate`` a second
  tumour taken from any source (itself included), rotated, scaled (0.6-1.5 x its size, so
  necrosis and enhancement of every size), deformed, and blended into another place of the
  brain, its intensities matched to the host's brain per modality;
- contrast: per modality a random monotone intensity curve through the brain's percentiles
  (tissue contrasts change, their order stays), a gamma, a bias field and noise;
- resolution: now and then thick slices along a random axis (2-4 x the spacing), blurred back.

Cases come out at ``spacing_mm`` on each source's own grid (BraTS: SRI24, 240 x 240 x 155 mm),
in the BraTS 2021 layout (int16 images, labels {0, 1, 2, 4}), deterministic per (seed, index).
The sources must never be validation cases.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage

from smart_brains.data.resample import resize, spacing_of
from smart_brains.synth.anatomy import smooth_field
from smart_brains.synth.appearance import random_appearance, repaint
from smart_brains.synth.hosts import Source, levels, tissue

TRANSPLANT_RATE = 0.7


def random_rotation(rng: np.random.Generator, max_degrees: float) -> np.ndarray:
    a, b, c = np.deg2rad(rng.uniform(-max_degrees, max_degrees, 3))
    rx = np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]])
    ry = np.array([[np.cos(b), 0, np.sin(b)], [0, 1, 0], [-np.sin(b), 0, np.cos(b)]])
    rz = np.array([[np.cos(c), -np.sin(c), 0], [np.sin(c), np.cos(c), 0], [0, 0, 1]])
    return rx @ ry @ rz


def warp(
    images: np.ndarray,
    labels: np.ndarray,
    matrix: np.ndarray,
    shift_vox: np.ndarray,
    elastic_vox: float,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """(C, X, Y, Z) images (linear) and (X, Y, Z) labels (nearest) resampled at
    ``matrix @ (p - centre) + centre + shift + elastic`` for every output voxel p."""
    shape = labels.shape
    centre = (np.asarray(shape) - 1) / 2
    axes = [torch.arange(n, dtype=torch.float32) for n in shape]
    grid = torch.stack(torch.meshgrid(*axes, indexing="ij"), -1) - torch.tensor(centre).float()
    points = grid @ torch.from_numpy(matrix.T.astype(np.float32))
    points += torch.tensor(centre + shift_vox).float()
    if elastic_vox > 0:
        for d in range(3):
            points[..., d] += torch.from_numpy(elastic_vox * smooth_field(shape, rng, 5, 1))
    return sample_at(images, labels, points)


def sample_at(
    images: np.ndarray, labels: np.ndarray, points: torch.Tensor | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(C, X, Y, Z) images (linear) and (X, Y, Z) labels (nearest) read at ``points``
    (X, Y, Z, 3): the voxel coordinates each output voxel takes its value from (0 outside)."""
    shape = labels.shape
    points = torch.as_tensor(points, dtype=torch.float32)
    # grid_sample wants (x, y, z) of the last dimension as (W, H, D) of the input: reversed
    norm = torch.tensor([(n - 1) / 2 for n in shape]).float()
    sample = ((points / norm) - 1).flip(-1)[None]
    image = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32))[None]
    moved = F.grid_sample(image, sample, mode="bilinear", padding_mode="zeros", align_corners=True)
    label = torch.from_numpy(labels.astype(np.float32))[None, None]
    moved_labels = F.grid_sample(label, sample, mode="nearest", align_corners=True)
    return moved[0].numpy(), moved_labels[0, 0].numpy().astype(np.uint8)


def _tumour_piece(source: Source, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The source's tumour in a cube large enough to rotate it whole, rotated, scaled and
    deformed."""
    idx = np.argwhere(source.labels > 0)
    centre = np.round((idx.min(0) + idx.max(0)) / 2).astype(int)
    half = int(np.ceil(np.sqrt(3) * np.ptp(idx, axis=0).max() / 2)) + 4
    padded = np.pad(source.images, [(0, 0)] + [(half, half)] * 3)
    padded_labels = np.pad(source.labels, [(half, half)] * 3)
    box = tuple(slice(c, c + 2 * half + 1) for c in centre)  # centre + half in padded indices
    images = np.ascontiguousarray(padded[(slice(None), *box)])
    labels = np.ascontiguousarray(padded_labels[box])
    scale = rng.uniform(0.6, 1.5) ** (1 / 3)  # 0.6-1.5 x the volume
    shape = tuple(max(4, int(round(n * scale))) for n in labels.shape)
    images, labels = resize(images, shape), resize(labels, shape, labels=True)
    matrix = random_rotation(rng, 180)
    if rng.random() < 0.5:
        matrix = matrix @ np.diag([-1.0, 1, 1])
    return warp(images, labels, matrix, np.zeros(3), rng.uniform(0.5, 1.5), rng)


def _transplant(
    images: np.ndarray, labels: np.ndarray, piece: tuple[np.ndarray, np.ndarray], rng
) -> tuple[np.ndarray, np.ndarray]:
    """Blend the tumour ``piece`` into the brain at a place deep enough for it, away from the
    tumour already there; its intensities scaled to the host's brain per modality."""
    p_images, p_labels = piece
    tumour = p_labels > 0
    if not tumour.any():
        return images, labels
    brain = np.any(images > 0, axis=0)
    depth = ndimage.distance_transform_edt(brain)
    radius = 0.5 * max(np.ptp(np.argwhere(tumour), axis=0)) + 2
    taken = ndimage.binary_dilation(labels > 0, iterations=int(radius) + 2)
    candidates = np.argwhere((depth > radius) & ~taken)
    if len(candidates) == 0:
        return images, labels
    centre = candidates[rng.integers(len(candidates))]
    lo = centre - np.asarray(p_labels.shape) // 2
    dst, src = [], []
    for a, n, m in zip(lo, p_labels.shape, labels.shape):
        start, stop = max(a, 0), min(a + n, m)
        dst.append(slice(start, stop))
        src.append(slice(start - a, stop - a))
    dst, src = tuple(dst), tuple(src)
    weight = ndimage.gaussian_filter(
        ndimage.binary_dilation(tumour, iterations=2).astype(np.float32), 1.0
    )
    weight = np.clip(weight * 1.5, 0, 1)[src] * brain[dst]
    donor_brain = p_images[(slice(None), *src)]
    out = images.copy()
    for c in range(len(images)):
        host = float(np.median(images[c][brain])) or 1.0
        region = donor_brain[c][~tumour[src] & (donor_brain[c] > 0)]
        donor = float(np.median(region)) if region.size else host
        scaled = donor_brain[c] * (host / (donor or 1.0))
        out[c][dst] = out[c][dst] * (1 - weight) + scaled * weight
    new_labels = labels.copy()
    placed = tumour[src] & brain[dst]
    new_labels[dst][placed] = p_labels[src][placed]
    return out, new_labels


def randomise_contrast(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Per modality: a random monotone curve through the brain's percentiles, a gamma, a bias
    field and noise; now and then thick slices along one axis."""
    brain = np.any(images > 0, axis=0)
    out = np.zeros_like(images)
    for c in range(len(images)):
        values = images[c][brain]
        knots = np.percentile(values, [0, 10, 30, 50, 70, 90, 100])
        steps = np.diff(knots) * rng.uniform(0.6, 1.6, len(knots) - 1)
        curve = np.concatenate([[knots[0]], knots[0] + np.cumsum(steps)])
        x = np.interp(images[c], knots, curve / curve[-1])
        x = np.clip(x, 0, None) ** rng.uniform(0.7, 1.4)
        x *= np.exp(rng.uniform(0.0, 0.3) * smooth_field(brain.shape, rng, 4, 1))
        x += rng.uniform(0.0, 0.04) * rng.standard_normal(brain.shape).astype(np.float32)
        out[c] = np.clip(x, 0, None) * brain
    if rng.random() < 0.3:
        axis, factor = int(rng.integers(3)), rng.uniform(2, 4)
        shape = list(brain.shape)
        thick = shape.copy()
        thick[axis] = max(2, int(round(shape[axis] / factor)))
        out = resize(resize(out, thick), shape) * brain
    return out.astype(np.float32)


def transplant_case(
    sources: list[Source], seed: int, index: int, appearance: str = "fixed"
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """Case ``index``: images (4, X, Y, Z) float32, internal labels, affine and parameters.

    ``appearance``: 'fixed' keeps each real tumour's own contrasts; 'random' moves each of its
    sub-regions to a look drawn per region and modality (``appearance.repaint``)."""
    rng = np.random.default_rng([seed, index, 7])
    host = sources[int(rng.integers(len(sources)))]
    matrix = random_rotation(rng, 12) @ np.diag(rng.uniform(0.85, 1.15, 3))
    flip = bool(rng.random() < 0.5)
    if flip:
        matrix = matrix @ np.diag([-1.0, 1, 1])
    spacing = spacing_of(host.affine)[0]
    shift = rng.uniform(-8, 8, 3) / spacing
    images, labels = warp(host.images, host.labels, matrix, shift, rng.uniform(3, 6) / spacing, rng)
    donor = None
    if rng.random() < TRANSPLANT_RATE:
        donor = sources[int(rng.integers(len(sources)))]
        images, labels = _transplant(images, labels, _tumour_piece(donor, rng), rng)
    if appearance == "random":
        white, csf = levels(images, tissue(images)[0] * (labels == 0))
        look = random_appearance(rng, np.clip(csf / white, 0.25, 0.7))
        images = repaint(images, white, labels, look, spacing)
    images = randomise_contrast(images, rng)
    params = {"host": host.name, "flip": flip, "donor": donor.name if donor else None,
              "tumour": "transplanted", "appearance": appearance}  # fmt: skip
    return images, labels, host.affine, params
