"""DDP scaling on this machine's CPU: optimiser steps per second, one process with batch 2
against two gloo processes (torchrun) with batch 1 each: the same global batch.

    python benchmarks/ddp_scaling.py [--steps 30]

Threads: the single process uses all cores; each of the two ranks gets half of them.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import subprocess
import sys
from datetime import date
from pathlib import Path

HERE = Path(__file__).parent


def train_seconds(runs: Path, name: str) -> float:
    with (runs / name / "metrics.csv").open() as f:
        return float(list(csv.DictReader(f))[-1]["train_seconds"])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--work", default=str(HERE / "work" / "ddp"))
    parser.add_argument("--results", default=str(HERE / "RESULTS.md"))
    args = parser.parse_args()

    from smart_brains.data.cache import prepare
    from smart_brains.synth.cohort import synth_cohort
    from smart_brains.workflows.demo import DemoConfig

    work = Path(args.work)
    demo = DemoConfig()
    synth_cohort(work / "data", demo.n_cases, demo.seed, demo.spacing_mm, workers=2, progress=False)
    prepare(work / "data", work / "cache", workers=2, progress=False)
    runs = work / "runs"
    subprocess.run(["rm", "-rf", str(runs)], check=True)
    common = [
        "train", str(work / "cache"), "--runs-dir", str(runs), "--epochs", "1",
        "--steps-per-epoch", str(args.steps), "--patch-size", "48", "--device", "cpu",
    ]  # fmt: skip
    cores = os.cpu_count() or 1
    env1 = {**os.environ, "OMP_NUM_THREADS": str(cores)}
    subprocess.run(
        [sys.executable, "-m", "smart_brains", *common, "--name", "one", "--batch-size", "2"],
        env=env1,
        check=True,
    )
    env2 = {**os.environ, "OMP_NUM_THREADS": str(max(1, cores // 2))}
    launch = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node=2",
        "-m",
        "smart_brains",
    ]
    subprocess.run([*launch, *common, "--name", "two", "--batch-size", "1"], env=env2, check=True)
    one = args.steps / train_seconds(runs, "one")
    two = args.steps / train_seconds(runs, "two")
    lines = [
        f"\n## DDP scaling on CPU: {date.today().isoformat()}, {platform.machine()} ({cores} CPU cores)\n",
        f"Command: `python benchmarks/ddp_scaling.py --steps {args.steps}` (multiscale:tiny, global batch 2x48^3, "
        "augmentation in the main process, validation excluded):\n",
        "| set-up | steps/s | ratio |",
        "|---|---|---|",
        f"| 1 process, batch 2, {cores} threads | {one:.2f} | 1.00 |",
        f"| 2 gloo processes (torchrun), batch 1 each, {max(1, cores // 2)} thread(s) each | {two:.2f} | {two / one:.2f} |",
    ]
    with open(args.results, "a") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
