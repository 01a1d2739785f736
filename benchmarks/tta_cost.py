"""What mirroring TTA costs a user of the packaged model: one real 1 mm case predicted from
process start to the NIfTI written, with ``--tta none``, ``3`` and ``8``, alternating set-ups
so that drift hits all alike; the median of ``--repeats`` runs and its ratio to ``none``.

    python benchmarks/tta_cost.py [--model glioma-v3] [--case ../shared/data/real-val/BraTS2021_00000]

What TTA buys is measured by ``generator_ablation.py --score NAME=MODEL --tta MODE`` on the same
test sets as the ablation (benchmarks/RESULTS.md).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
from datetime import date
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from pretrained import SHARED, cli  # noqa: E402

from smart_brains.checkpoint import DEFAULT_MODEL  # noqa: E402

MODES = ("none", "3", "8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--case", default=str(SHARED / "real-val" / "BraTS2021_00000"))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    seconds: dict[str, list[float]] = {m: [] for m in MODES}
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeats):
            for mode in MODES:
                out = Path(tmp) / f"{mode}-{i}"
                seconds[mode].append(
                    cli(
                        "predict",
                        args.case,
                        "--model",
                        args.model,
                        "--out",
                        str(out),
                        "--tta",
                        mode,
                    )  # fmt: skip
                )
    base = statistics.median(seconds["none"])
    print(f"## TTA cost ({date.today()}, {platform.node()}, {platform.machine()})\n")
    print(f"`python benchmarks/tta_cost.py --model {args.model} --case {args.case}` "
          f"({args.repeats} runs of each, alternating)\n")  # fmt: skip
    print("| --tta | passes | seconds from process start (median) | runs | ratio to none |")
    print("|---|---|---|---|---|")
    for mode, passes in zip(MODES, (1, 4, 8)):
        median = statistics.median(seconds[mode])
        runs = ", ".join(f"{s:.1f}" for s in seconds[mode])
        print(f"| {mode} | {passes} | {median:.2f} | {runs} | {median / base:.2f} |")


if __name__ == "__main__":
    main()
