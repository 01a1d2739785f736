"""Each BraTS challenge's scoring rules, written down once (``evaluate --challenge NAME``).

Label maps are scored in the internal convention (0 background, 1 NCR/NETC, 2 ED/SNFH, 3 ET),
extended with 4 = resection cavity (RC) for ``brats2024-gli``: the BraTS 2023+ file values.

Rules, from the official scripts (rachitsaluja/BraTS-2023-Metrics ``metrics.py``, commit 43c9052
and its packaged ``brats_2023_metrics``; rachitsaluja/BraTS-2024-Metrics ``metrics_GLI.py``,
commit 9e8879a, and ``BraTS_SegMetrics/processing.py``, commit a8f5813):

===============  ==========================  ========  =====================  ============
challenge        regions                     dilation  lesions dropped if     HD95
===============  ==========================  ========  =====================  ============
brats2021        WT TC ET                    (3)       (<= 50 mm^3)           pooled, 373.13
brats2023-gli    WT TC ET                    3         <= 50 mm^3             robust, 374
brats2023-ssa    WT TC ET                    3         <= 50 mm^3             robust, 374
brats2023-ped    WT TC ET                    3         <= 50 mm^3             robust, 374
brats2023-men    WT TC ET                    1         <= 50 mm^3             robust, 374
brats2023-met    WT TC ET                    1         <= 2 mm^3              robust, 374
brats2024-gli    WT TC NETC SNFH ET RC       3         WT TC NETC SNFH <= 20  robust, 374
                                                       ET RC <= 10 mm^3
===============  ==========================  ========  =====================  ============

- "pooled" HD95 is the 95th percentile of all surface-voxel distances of both directions
  (``metrics.hd95``: the ``brats-evaluation`` package, BraTS 2021's legacy scores); an empty
  region against a non-empty one scores 373.13 mm. "robust" is DeepMind's area-weighted
  percentile of each direction, the larger of the two (``surface.robust_hd95``), for the
  whole-volume ("legacy") HD95 as well as per lesion; an empty side scores 374 mm.
- Lesion-wise (2023+; ``lesions.lesion_wise``): reference lesions are 26-connected components
  grouped when they touch after ``dilation`` dilations (18-neighbour element); predicted
  components touching a lesion's dilation are its match; lesions at or under the volume
  threshold (mm^3) are left out; each unmatched predicted component adds Dice 0 and 374 mm.
  BraTS 2021 ranked on the whole-volume scores only: its lesion-wise columns use the 2023 GLI
  matching with the pooled HD95, for information.
- Where 2024 GLI differs from 2023: six regions (NETC = 1, SNFH = 2, RC = 4 added); thresholds
  20 mm^3 for WT, TC, NETC, SNFH and 10 mm^3 for ET and RC (the script sets 10 before ET and
  never resets it, so RC keeps it); reference lesions of NETC, SNFH, ET and RC that touch the
  same lesion of another of those tissues (one 18-neighbour dilation) are merged into one
  lesion (``merge_touching``, in the script's order); and, following ``processing.py``,
  predicted components are grouped by the same dilation and predicted groups at or under the
  region's threshold are removed before every score (legacy ones too). No output of the 2024
  script was available to compare against: this challenge has no parity test.
- Sensitivity and specificity are voxel-wise over the whole volume (GaNDLF's definition, as
  both scripts compute them); Dice is 1 when both masks are empty.

``ranking``: what the challenge ranks on and ``tune-postprocessing`` optimises: the
whole-volume ("legacy") Dice for 2021, the lesion-wise Dice for 2023+.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from smart_brains.data.labels import RC
from smart_brains.errors import DataError
from smart_brains.evaluation.lesions import (
    DILATION_ELEMENT,
    PENALTY_HD95_MM,
    lesion_wise,
    reference_lesions,
)
from smart_brains.evaluation.metrics import (
    dice,
    hd95,
    sensitivity_specificity,
)
from smart_brains.evaluation.surface import robust_hd95

REGION_VALUES: dict[str, tuple[int, ...]] = {
    "WT": (1, 2, 3),
    "TC": (1, 3),
    "ET": (3,),
    "NETC": (1,),
    "SNFH": (2,),
    "RC": (RC,),
}
#: BraTS 2024 GLI: each tissue's reference lesions are merged by these tissues, in this order
MERGE_ORDER: dict[str, tuple[str, ...]] = {
    "NETC": ("ET", "RC"),
    "ET": ("NETC", "RC"),
    "RC": ("ET", "NETC"),
    "SNFH": ("ET", "RC", "NETC"),
}


@dataclass(frozen=True)
class Challenge:
    """One challenge's scoring rules (see the module docstring for the table).

    Attributes:
        name: as given to ``--challenge``.
        title: for reports.
        regions: scored regions, in the official output's order.
        min_lesion_mm3: per region, lesions of this volume or less are left out.
        dilation: dilations of the lesion matching.
        robust_hd95: DeepMind's area-weighted HD95 (2023+) instead of the pooled one.
        ranking: "legacy" (whole-volume Dice) or "lesion" (lesion-wise Dice).
        labels: file labels it reads: "brats2021"/"brats2023" (converted from the dataset's
            convention) or "brats2024-gli" (BraTS 2023+ files, 4 = resection cavity, as is).
        shape: image grid of the challenge's data (submission check).
        case_id: regular expression of the challenge's case ids (submission check).
        merge_tissues: 2024: merge reference lesions across tissues (``merge_touching``).
        prune_predicted: 2024: group predicted components and drop small groups.
    """

    name: str
    title: str
    regions: tuple[str, ...]
    min_lesion_mm3: tuple[float, ...]
    dilation: int
    robust_hd95: bool
    ranking: str
    labels: str
    shape: tuple[int, int, int] = (240, 240, 155)
    case_id: str = r"BraTS-GLI-\d{5}-\d{3}"
    merge_tissues: bool = False
    prune_predicted: bool = False

    @property
    def file_values(self) -> tuple[int, ...]:
        """Label values a submitted segmentation may hold (the year's file convention)."""
        return {"brats2021": (0, 1, 2, 4), "brats2023": (0, 1, 2, 3)}.get(
            self.labels, (0, 1, 2, 3, RC)
        )

    @property
    def keeps_cavity(self) -> bool:
        """Whether label files are read with the resection cavity kept (2024: 4 = RC)."""
        return self.labels == "brats2024-gli"

    @property
    def ranking_column(self) -> str:
        return "lesion_dice" if self.ranking == "lesion" else "dice"

    @property
    def distance(self):
        """The HD95 function (pred, ref, spacing_mm) -> mm this challenge uses, per lesion
        and for the whole volume."""
        return robust_hd95 if self.robust_hd95 else hd95

    def hd(self, pred: np.ndarray, ref: np.ndarray, spacing_mm) -> float:
        """Whole-volume HD95 (mm) with this challenge's definition and empty-mask value (the
        robust one is infinite for an empty side: the scripts report 374)."""
        value = self.distance(pred, ref, spacing_mm)
        return value if np.isfinite(value) else PENALTY_HD95_MM


def _brats2023(suffix: str, title: str, dilation: int, threshold: float) -> Challenge:
    return Challenge(
        name=f"brats2023-{suffix}",
        title=f"BraTS 2023 {title}",
        regions=("WT", "TC", "ET"),
        min_lesion_mm3=(threshold,) * 3,
        dilation=dilation,
        robust_hd95=True,
        ranking="lesion",
        labels="brats2023",
        case_id=rf"BraTS-{suffix.upper()}-\d{{5}}-\d{{3}}",
    )


CHALLENGES: dict[str, Challenge] = {
    c.name: c
    for c in (
        Challenge(
            "brats2021",
            "BraTS 2021 (RSNA-ASNR-MICCAI)",
            ("WT", "TC", "ET"),
            (50.0,) * 3,
            3,
            robust_hd95=False,
            ranking="legacy",
            labels="brats2021",
            case_id=r"BraTS2021_\d{5}",
        ),  # fmt: skip
        _brats2023("gli", "adult glioma (GLI)", 3, 50.0),
        _brats2023("ssa", "Sub-Saharan Africa glioma (SSA)", 3, 50.0),
        _brats2023("ped", "paediatric tumours (PED)", 3, 50.0),
        _brats2023("men", "meningioma (MEN)", 1, 50.0),
        _brats2023("met", "brain metastases (MET)", 1, 2.0),
        Challenge(
            "brats2024-gli",
            "BraTS 2024 post-treatment adult glioma (GLI)",
            ("WT", "TC", "NETC", "SNFH", "ET", "RC"),
            (20.0, 20.0, 20.0, 20.0, 10.0, 10.0),
            3,
            robust_hd95=True,
            ranking="lesion",
            labels="brats2024-gli",
            shape=(182, 218, 182),
            merge_tissues=True,
            prune_predicted=True,
        ),  # fmt: skip
    )
}


def get_challenge(name: str) -> Challenge:
    """The challenge called ``name``, or a DataError listing them."""
    try:
        return CHALLENGES[name]
    except KeyError:
        raise DataError(
            f"unknown challenge {name!r}; choose one of {', '.join(CHALLENGES)}"
        ) from None


def default_challenge(case_ids: list[str], convention: str) -> Challenge:
    """The challenge a dataset's names point to: BraTS 2023+ ids (``BraTS-MEN-...``) give that
    year's task (GLI when the prefix is not one of them), other BraTS 2023-convention data
    brats2023-gli, anything else brats2021."""
    if convention != "brats2023":
        return CHALLENGES["brats2021"]
    for case_id in case_ids:
        parts = case_id.split("-")
        if len(parts) > 2 and parts[0] == "BraTS":
            return CHALLENGES.get(f"brats2023-{parts[1].lower()}", CHALLENGES["brats2023-gli"])
    return CHALLENGES["brats2023-gli"]


def region_mask(labels: np.ndarray, region: str) -> np.ndarray:
    return np.isin(labels, REGION_VALUES[region])


def merge_touching(lesions: np.ndarray, other: np.ndarray) -> np.ndarray:
    """BraTS 2024: lesions (int ids) of one tissue that touch the same lesion of ``other``
    (int ids; touching = within one dilation by the 18-neighbour element) get one new id; a
    lesion touching several goes with the lowest-numbered one. Others keep their ids."""
    ids = np.unique(lesions)
    ids = ids[ids != 0]
    if len(ids) == 0 or not other.any():
        return lesions
    anchor = {}
    for lesion_id in ids:
        grown = ndimage.binary_dilation(lesions == lesion_id, DILATION_ELEMENT)
        touched = np.unique(other[grown])
        touched = touched[touched != 0]
        if len(touched):
            anchor[int(lesion_id)] = int(touched.min())
    out = lesions.copy()
    next_id = int(lesions.max()) + 1
    new_ids: dict[int, int] = {}
    for lesion_id, touched in sorted(anchor.items()):
        if touched not in new_ids:
            new_ids[touched] = next_id
            next_id += 1
        out[lesions == lesion_id] = new_ids[touched]
    return out


def grouped_and_pruned(mask: np.ndarray, dilation: int, max_mm3: float, voxel_mm3: float):
    """(mask, lesion ids) of predicted ``mask``: components grouped by ``dilation`` and groups
    of ``max_mm3`` or less removed (BraTS 2024 ``process_tissue_component``)."""
    groups, _ = reference_lesions(mask, dilation)
    sizes = np.bincount(groups.ravel())
    small = np.flatnonzero(sizes * voxel_mm3 <= max_mm3)
    groups[np.isin(groups, small[small != 0])] = 0
    return groups > 0, groups


def score_regions(
    pred: np.ndarray,
    ref: np.ndarray,
    spacing_mm: tuple[float, float, float],
    challenge: Challenge,
    outside: int = 0,
    distances: bool = True,
) -> list[dict[str, float]]:
    """One row per region of ``challenge``: Dice, HD95 (mm), sensitivity, specificity, and the
    lesion-wise Dice, HD95 and lesion counts, volumes (cm^3).

    ``pred``/``ref``: label maps (X, Y, Z) in the challenge's values (module docstring), on one
    grid, usually cropped to the tumour; ``outside``: background voxels cut away by the crop.
    ``distances=False`` skips both HD95s (NaN), for fast tuning on Dice.
    """
    voxel_mm3 = float(np.prod(spacing_mm))
    masks = {r: (region_mask(pred, r), region_mask(ref, r)) for r in challenge.regions}
    ref_lesions = {r: reference_lesions(masks[r][1], challenge.dilation)[0] for r in masks}
    if challenge.merge_tissues:
        plain = dict(ref_lesions)
        for tissue, others in MERGE_ORDER.items():
            for other in others:
                ref_lesions[tissue] = merge_touching(ref_lesions[tissue], plain[other])
    rows = []
    for region, threshold in zip(challenge.regions, challenge.min_lesion_mm3):
        p, r = masks[region]
        pred_lesions = None
        if challenge.prune_predicted:
            p, pred_lesions = grouped_and_pruned(p, challenge.dilation, threshold, voxel_mm3)
        sens, spec = sensitivity_specificity(p, r, outside)
        lesions = lesion_wise(
            p, r, spacing_mm, challenge.dilation, threshold,
            hd=challenge.distance if distances else None,
            ref_lesions=ref_lesions[region], pred_lesions=pred_lesions,
        )  # fmt: skip
        rows.append(
            {
                "region": region,
                "dice": dice(p, r),
                "hd95_mm": challenge.hd(p, r, spacing_mm) if distances else float("nan"),
                "sensitivity": sens,
                "specificity": spec,
                "lesion_dice": lesions.dice,
                "lesion_hd95_mm": lesions.hd95_mm,
                "lesions_tp": lesions.tp,
                "lesions_fn": lesions.fn,
                "lesions_fp": lesions.fp,
                "ref_cm3": int(r.sum()) * voxel_mm3 / 1000.0,
                "pred_cm3": int(p.sum()) * voxel_mm3 / 1000.0,
            }
        )
    return rows
