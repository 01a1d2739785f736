"""The swap detector (``data/modality_check.py``): fitted on generated cases and the real source
brains, measured on real scans it never saw, every pair in both orders.

    python benchmarks/modality_check.py [--train DIR ...]

Training: the cases of each ``--train`` folder (default: the generator ablation's cohorts, if
built: ``pretrain-v2/both/mixed`` and ``pretrain-v2/baseline/mixed``) and the seven labelled
real source brains; each case gives, per pair, its feature difference in the given order
(label: right) and reversed (label: swapped). Logistic regression without intercept. Test: the
4 real validation cases and the 5 unlabelled real scans (``../shared/data``), each pair in both
orders, and every one of the 24 orders of the four files. Prints the weights (to paste into
``WEIGHTS``) and the accuracy.
"""

from __future__ import annotations

import argparse
import platform
import sys
from datetime import date
from itertools import permutations
from pathlib import Path

import nibabel as nib
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT / "src"))

from smart_brains.data.discovery import discover  # noqa: E402
from smart_brains.data.modality_check import PAIRS, summary, swap_probability  # noqa: E402


def summaries(folder: Path, each: bool = False) -> list[dict[str, np.ndarray]]:
    """Per case of ``folder`` (any layout; ``each``: a folder of case folders in mixed layouts,
    read case folder by case folder), modality -> ``summary``."""
    out = []
    inner = [p for p in sorted(folder.iterdir()) if p.is_dir()]
    cases = [c for p in inner for c in discover(p)] if each else discover(folder)
    for case in cases:
        out.append({m: summary(np.asarray(nib.load(str(case.image(m).path)).dataobj, np.float32))
                    for m in ("t1", "t1ce", "t2", "flair")})  # fmt: skip
    return out


def pairs(cases: list[dict], pair: tuple[str, str]) -> tuple[np.ndarray, np.ndarray]:
    """(differences, labels 1 = given order right) with every case in both orders."""
    a, b = pair
    x = [c[a] - c[b] for c in cases] + [c[b] - c[a] for c in cases]
    y = [1] * len(cases) + [0] * len(cases)
    return np.array(x), np.array(y)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", nargs="*", default=[str(ROOT / "pretrain-v2/both/mixed"),
                                                       str(ROOT / "pretrain-v2/baseline/mixed")])  # fmt: skip
    args = parser.parse_args()
    from sklearn.linear_model import LogisticRegression

    train = []
    for folder in [*args.train, *(str(p) for p in sorted((SHARED / "real-source").iterdir())
                                  if p.is_dir()), str(SHARED / "real-case" / "TCGA-FG-6692")]:  # fmt: skip
        if Path(folder).is_dir():
            train += summaries(Path(folder))
    tests = {"real validation": SHARED / "real-val", "real unlabelled": SHARED / "real-unlabelled"}
    tested = {name: summaries(folder, each=True) for name, folder in tests.items()}
    print(f"## Modality swap detector ({date.today()}, {platform.node()}, {platform.machine()})\n")
    print(f"`python benchmarks/modality_check.py`: fitted on {len(train)} cases (generated and "
          "the seven real source brains), each pair in both orders\n")  # fmt: skip
    print(
        "| pair | test scans | right order kept | swap caught | warnings at p > 0.9 |\n|---|---|---|---|---|"
    )
    fitted = {}
    for pair in PAIRS:
        x, y = pairs(train, pair)
        model = LogisticRegression(fit_intercept=False, C=1.0, max_iter=2000).fit(x, y)
        weights = tuple(round(float(w), 4) for w in model.coef_[0])
        for name, cases in tested.items():
            right = [swap_probability(c[pair[0]], c[pair[1]], weights) for c in cases]
            swapped = [swap_probability(c[pair[1]], c[pair[0]], weights) for c in cases]
            kept = sum(p < 0.5 for p in right)
            caught = sum(p > 0.5 for p in swapped)
            warned = sum(p > 0.9 for p in swapped) + sum(p > 0.9 for p in right)
            print(
                f"| {pair[0]}/{pair[1]} | {name} | {kept}/{len(cases)} | {caught}/{len(cases)} | "
                f"{warned} ({sum(p > 0.9 for p in right)} false) |"
            )
        print(f"\nWEIGHTS[{pair}] = {weights}\n", file=sys.stderr)
        fitted[pair] = weights
    permutation_table(tested, fitted)


def permutation_table(tested: dict[str, list[dict]], weights: dict) -> None:
    """Every order of the four files a user can give (24 per case): how often a wrong order
    gets a warning, and the right one none, with the weights just fitted."""
    print("\nEvery order of the four files, per test scan (the detector as shipped: any pair "
          "above p = 0.9 warns):\n")  # fmt: skip
    print("| test scans | right order: no warning | one pair swapped within T1/T1ce or T2/FLAIR "
          "| other wrong orders |\n|---|---|---|---|")  # fmt: skip
    names = ("t1", "t1ce", "t2", "flair")
    for name, cases in tested.items():
        counts = {"right": [0, 0], "within": [0, 0], "other": [0, 0]}  # [warned, total]
        for case in cases:
            for order in permutations(names):
                given = dict(zip(names, (case[m] for m in order)))
                warned = any(
                    swap_probability(given[a], given[b], weights[(a, b)]) > 0.9 for a, b in PAIRS
                )
                moved = {m for m, o in zip(names, order) if m != o}
                kind = ("right" if not moved else "within"
                        if moved in ({"t1", "t1ce"}, {"t2", "flair"}) else "other")  # fmt: skip
                counts[kind][0] += warned
                counts[kind][1] += 1
        right, within, other = counts["right"], counts["within"], counts["other"]
        print(f"| {name} ({len(cases)}) | {right[1] - right[0]}/{right[1]} | "
              f"{within[0]}/{within[1]} warned | {other[0]}/{other[1]} warned |")  # fmt: skip


if __name__ == "__main__":
    main()
