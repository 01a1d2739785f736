"""Run every benchmark: `python benchmarks/run.py` (results appended to benchmarks/RESULTS.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
BENCHMARKS = [
    "intensity_baseline.py", "models.py", "ddp_scaling.py", "predict.py", "predict_latency.py",
    "classification.py", "ablation.py", "pretrained.py", "longitudinal.py",
]  # fmt: skip

if __name__ == "__main__":
    for script in BENCHMARKS:
        print(f"== {script}", flush=True)
        subprocess.run([sys.executable, str(HERE / script)], check=True)
