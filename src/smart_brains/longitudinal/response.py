"""Radiological response between time points: RANO and RANO 2.0 volumetric, as pure rules.

RANO (Wen et al., J Clin Oncol 2010), on the sum of products of the target lesions' diameters:

- ``CR`` (complete response): no enhancing tumour left;
- ``PR`` (partial response): sum at most 50 % below baseline;
- ``PD`` (progression): sum at least 25 % above the smallest sum so far (the nadir, baseline
  included), or any new measurable lesion;
- ``SD`` (stable disease): otherwise. The first time point is ``baseline``.

RANO 2.0 volumetric (Wen et al., J Clin Oncol 2023): the same on the enhancing volume, with PR
at -65 % and PD at +40 %.

Only the radiological part: RANO's clinical conditions (steroid dose, clinical status) and the
confirmation scans it asks for are the reader's. Precedence: PD, then CR, then PR, then SD. A
nadir of zero (after a CR) makes any measurable return a progression.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

BASELINE, CR, PR, SD, PD = "baseline", "CR", "PR", "SD", "PD"


@dataclass(frozen=True)
class Criteria:
    """Thresholds of one response criterion, as fractions of change.

    Attributes:
        name: ``rano`` or ``rano2``.
        partial: change from baseline at or below which the response is partial (negative).
        progression: change from the nadir at or above which the disease progresses.
    """

    name: str
    partial: float
    progression: float


RANO = Criteria("rano", partial=-0.50, progression=0.25)
RANO2 = Criteria("rano2", partial=-0.65, progression=0.40)


def responses(
    values: Sequence[float],
    enhancing_left: Sequence[bool],
    new_measurable: Sequence[bool],
    criteria: Criteria,
) -> list[str]:
    """The response at every time point of one patient, in time order.

    Args:
        values: the measured burden per time point (RANO: sum of products in mm^2 of the target
            lesions; RANO 2.0: enhancing volume in mm^3).
        enhancing_left: whether any enhancing tumour is seen at each time point.
        new_measurable: whether a measurable lesion appears that no earlier time point had.
        criteria: ``RANO`` or ``RANO2``.
    """
    out = []
    for t, value in enumerate(values):
        if t == 0:
            out.append(BASELINE)
            continue
        baseline, nadir = values[0], min(values[:t])
        grew = value > 0 if nadir == 0 else value >= nadir * (1 + criteria.progression)
        if new_measurable[t] or grew:
            out.append(PD)
        elif not enhancing_left[t]:
            out.append(CR)
        elif baseline > 0 and value <= baseline * (1 + criteria.partial):
            out.append(PR)
        else:
            out.append(SD)
    return out
