"""BraTS labels and regions: the single source of truth.

Internally every label map uses one convention:

    0 background, 1 NCR/NET (necrotic / non-enhancing core), 2 ED (oedema), 3 ET (enhancing)

and the three evaluated BraTS regions are

    WT (whole tumour)  = {1, 2, 3}
    TC (tumour core)   = {1, 3}
    ET (enhancing)     = {3}

Each dataset layout stores labels in its own convention; ``to_internal`` and ``from_internal``
convert both ways, so a prediction is written back in the dataset's own convention.

Conventions (the layout decides which one applies, never the voxel values):

- ``brats2021`` (BraTS 2018-2021, FeTS 2021): 1 NCR/NET, 2 ED, 4 ET.
- ``brats2023`` (BraTS 2023+ adult glioma): 1 NETC, 2 SNFH (oedema), 3 ET; in 2024
  post-treatment data 4 is the resection cavity (RC), which belongs to no tumour region and is
  mapped to background internally (so it does not survive a round trip).
- ``msd`` (Medical Segmentation Decathlon Task01_BrainTumour): 1 oedema, 2 non-enhancing
  tumour, 3 enhancing tumour.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from smart_brains.errors import DataError

BACKGROUND, NCR, ED, ET = 0, 1, 2, 3
RC = 4  # resection cavity (BraTS 2024 post-treatment glioma): kept only where it is scored
INTERNAL_LABELS: tuple[int, ...] = (BACKGROUND, NCR, ED, ET)
LABEL_NAMES: dict[int, str] = {BACKGROUND: "background", NCR: "NCR/NET", ED: "ED", ET: "ET"}

REGIONS: tuple[str, ...] = ("WT", "TC", "ET")
REGION_LABELS: dict[str, tuple[int, ...]] = {"WT": (NCR, ED, ET), "TC": (NCR, ET), "ET": (ET,)}


@dataclass(frozen=True)
class LabelConvention:
    """How one dataset family writes labels.

    Attributes:
        name: convention name.
        to_internal: dataset value -> internal label, for every value the convention allows.
        from_internal: internal label -> dataset value (the inverse on tumour labels).
    """

    name: str
    to_internal: dict[int, int]
    from_internal: dict[int, int]

    @property
    def allowed(self) -> tuple[int, ...]:
        return tuple(sorted(self.to_internal))


CONVENTIONS: dict[str, LabelConvention] = {
    "brats2021": LabelConvention(
        "brats2021", {0: BACKGROUND, 1: NCR, 2: ED, 4: ET}, {BACKGROUND: 0, NCR: 1, ED: 2, ET: 4}
    ),
    "brats2023": LabelConvention(
        "brats2023",
        {0: BACKGROUND, 1: NCR, 2: ED, 3: ET, 4: BACKGROUND},  # 4 = resection cavity (2024)
        {BACKGROUND: 0, NCR: 1, ED: 2, ET: 3},
    ),
    "msd": LabelConvention(
        "msd", {0: BACKGROUND, 1: ED, 2: NCR, 3: ET}, {BACKGROUND: 0, NCR: 2, ED: 1, ET: 3}
    ),
}


def get_convention(name: str) -> LabelConvention:
    """Return the convention called ``name`` or raise a DataError listing the known ones."""
    try:
        return CONVENTIONS[name]
    except KeyError:
        raise DataError(
            f"unknown label convention {name!r}; known: {', '.join(CONVENTIONS)}"
        ) from None


def _lookup(mapping: dict[int, int]) -> np.ndarray:
    table = np.full(256, 255, dtype=np.uint8)
    for src, dst in mapping.items():
        table[src] = dst
    return table


def invalid_values(seg: np.ndarray, convention: str) -> list[int]:
    """Sorted label values in ``seg`` that ``convention`` does not allow (empty if all valid)."""
    allowed = set(get_convention(convention).allowed)
    values = np.unique(seg)
    bad = [v for v in values.tolist() if v not in allowed]
    return sorted(int(v) if float(v).is_integer() else v for v in bad)


def to_internal(seg: np.ndarray, convention: str) -> np.ndarray:
    """Convert a label map from ``convention`` to internal labels.

    Args:
        seg: integer (or integral float) label map of any shape.
        convention: one of ``CONVENTIONS``.

    Returns:
        uint8 array of the same shape with values in {0, 1, 2, 3}.

    Raises:
        DataError: if ``seg`` holds a value the convention does not allow.
    """
    bad = invalid_values(seg, convention)
    if bad:
        conv = get_convention(convention)
        raise DataError(
            f"label values {bad} are not allowed in the {convention} convention "
            f"(allowed: {list(conv.allowed)})"
        )
    return _lookup(get_convention(convention).to_internal)[seg.astype(np.int64)]


def from_internal(labels: np.ndarray, convention: str) -> np.ndarray:
    """Convert internal labels {0,1,2,3} to ``convention``; returns uint8, same shape."""
    if labels.size and int(labels.max()) > ET:
        raise ValueError(f"internal labels must be in 0..3, got max {int(labels.max())}")
    return _lookup(get_convention(convention).from_internal)[labels.astype(np.int64)]


RECORD = "smart-brains labels "  # NIfTI ``descrip`` of every label map predict writes


def convention_record(convention: str) -> str:
    """The ``descrip`` text that records the label convention a label map was written in."""
    return RECORD + get_convention(convention).name


def recorded_convention(header) -> str | None:
    """The convention a label map's NIfTI header records (``convention_record``), or None."""
    try:
        text = bytes(header["descrip"]).decode("ascii", "ignore").strip("\x00 ")
    except (KeyError, TypeError, ValueError):
        return None
    name = text[len(RECORD) :].strip() if text.startswith(RECORD) else ""
    return name if name in CONVENTIONS else None


def check_recorded(header, expected: str, path, case_id: str) -> None:
    """Refuse a label map recorded in another convention than the one its case id implies."""
    recorded = recorded_convention(header)
    if recorded is not None and recorded != expected:
        raise DataError(
            f"{path}: written with {recorded} labels (its header says so), but case {case_id} "
            f"reads {expected} labels; predict again with --convention {expected}, or give the "
            f"files {recorded} names"
        )


def labels_to_regions(labels: np.ndarray) -> np.ndarray:
    """Internal labels (...) -> boolean region masks (3, ...) in the order WT, TC, ET."""
    return np.stack([np.isin(labels, REGION_LABELS[r]) for r in REGIONS])


def regions_to_labels(regions: np.ndarray) -> np.ndarray:
    """Boolean region masks (3, ...) WT, TC, ET -> internal labels (...) uint8.

    Nested by construction as in the BraTS convention: ET wins, then the rest of TC is NCR/NET,
    then the rest of WT is oedema. A voxel in ET or TC but outside WT still counts as tumour.
    """
    wt, tc, et = (np.asarray(r, dtype=bool) for r in regions)
    out = np.zeros(wt.shape, dtype=np.uint8)
    out[wt] = ED
    out[tc] = NCR
    out[et] = ET
    return out
