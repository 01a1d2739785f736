"""Prediction latency as a user meets it, side by side with an older version of the package:

- cold: ``python -m smart_brains predict CASE --model RUN --out DIR`` from process start to the
  NIfTI written (imports, model load, device start, reading, inference, writing), one case;
- once running: one ``predict`` call over several copies of the case (reading, computing and
  writing as a user's batch runs them), the seconds between consecutive cases.

Both without TTA and with 8-flip mirroring TTA. The baseline is the same command run with
another version's source tree (``--baseline-src``, e.g. a ``git worktree`` of an older commit),
in the same run, on the same machine, alternating set-ups so drift hits both alike.

    python benchmarks/predict_latency.py --device cpu --model multiscale:tiny \\
        --baseline-src /tmp/old/src
    python benchmarks/predict_latency.py --device cuda --model multiscale:base \\
        --results benchmarks/RESULTS-gpu.md --baseline-src bench-old/src

Weights are freshly initialised (speed does not depend on them). The case is the real case of
``../shared/data`` (or ``--case``), else a synthetic 240x240x155 case.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).parent
SRC = HERE.parent / "src"
REAL_CASE = HERE.parents[1] / "shared" / "data" / "real-case" / "TCGA-FG-6692"


def make_run(folder: Path, model: str, preset: str) -> Path:
    """A run folder (config.yaml, checkpoints/last.pt) with fresh weights and, as after
    training, an AdamW state."""
    import torch

    from smart_brains.checkpoint import save_checkpoint
    from smart_brains.config import TrainConfig, config_to_dict, save_config
    from smart_brains.models.registry import build_model
    from smart_brains.paths import RunDir

    torch.manual_seed(0)
    cfg = TrainConfig(cache=".", name="latency", runs_dir=str(folder), model=model,
                      preset=preset).validate()  # fmt: skip
    run = RunDir(folder / "latency")
    run.checkpoints.mkdir(parents=True, exist_ok=True)
    save_config(cfg, run.config)
    net = build_model(model, preset, len(cfg.modalities), cfg.out_channels)
    # a trained run's checkpoint also holds the optimiser's state (AdamW: two moments per weight)
    optimizer = torch.optim.AdamW(net.parameters())
    for p in net.parameters():
        p.grad = torch.zeros_like(p)
    optimizer.step()
    save_checkpoint(run.last, {"config": config_to_dict(cfg), "model": net.state_dict(),
                               "optimizer": optimizer.state_dict()})  # fmt: skip
    return run.root


def _path(src: Path) -> str:
    """PYTHONPATH with ``src`` first (what was there stays: carried wheels, say)."""
    return os.pathsep.join([str(src), *filter(None, [os.environ.get("PYTHONPATH")])])


def cold(src: Path, case: Path, run: Path, device: str, tta: str) -> float:
    """Seconds from process start to exit of one ``predict`` command (NIfTI written)."""
    env = {**os.environ, "PYTHONPATH": _path(src)}
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "smart_brains", "predict", str(case), "--model", str(run),
             "--out", out, "--device", device, "--tta", tta],
            env=env, check=True, capture_output=True, text=True,
        )  # fmt: skip
        return time.perf_counter() - started


def warm_one(case: str, run: str, device: str, tta: str, n: int) -> dict:
    """In this process (whatever ``smart_brains`` PYTHONPATH gives): one ``predict`` of n
    copies of ``case``; seconds per case once running = the spread of the outputs' write
    times / (n - 1), and the whole call's wall time."""
    from smart_brains.inference.predict import PredictOptions, predict

    with tempfile.TemporaryDirectory() as work:
        data = Path(work) / "data"
        for k in range(n):
            folder = data / f"case{k}"
            folder.mkdir(parents=True)
            for source in Path(case).glob("*.nii.gz"):
                modality = source.name.split("_")[-1]
                if modality != "seg.nii.gz":
                    (folder / f"case{k}_{modality}").symlink_to(source.resolve())
        out = Path(work) / "out"
        started = time.perf_counter()
        predict(run, data, out, device=device, options=PredictOptions(tta=tta), progress=False)
        wall = time.perf_counter() - started
        stamps = sorted(p.stat().st_mtime_ns for p in out.glob("*.nii.gz"))
    return {"per_case": (stamps[-1] - stamps[0]) / 1e9 / (n - 1), "wall": wall}


def _fresh_process(src: Path, flag: str, *args):
    """Run this script with ``flag`` (``--warm-one``, ``--load-one``) and ``args`` (JSON
    values) in a fresh process whose ``smart_brains`` comes from ``src``; the JSON value it
    prints last."""
    env = {**os.environ, "PYTHONPATH": _path(src)}
    done = subprocess.run([sys.executable, __file__, flag, json.dumps(list(args))],
                          env=env, check=True, capture_output=True, text=True)  # fmt: skip
    return json.loads(done.stdout.splitlines()[-1])


def warm(src: Path, case: Path, run: Path, device: str, tta: str, n: int) -> dict:
    return _fresh_process(src, "--warm-one", str(case), str(run), device, tta, n)


def load_one(run: str, device: str) -> float:
    """In this process: seconds to load ``run`` for prediction (imports not counted)."""
    from smart_brains.inference.predict import Predictor

    started = time.perf_counter()
    Predictor.from_checkpoints([run], device)
    return time.perf_counter() - started


def print_load_times(versions: dict[str, Path], run: Path, device: str, repeats: int) -> None:
    """Median (min-max) seconds of ``load_one`` per version, fresh processes, alternating."""
    times: dict[str, list[float]] = {label: [] for label in versions}
    for _ in range(repeats):
        for label, src in versions.items():
            times[label].append(_fresh_process(src, "--load-one", str(run), device))
    size = sum(p.stat().st_size for p in run.rglob("*.pt")) / 1e6
    print(f"loading the run ({size:.0f} MB checkpoint), {repeats} fresh processes each:")
    reference = statistics.median(times["this version"])
    for label, values in times.items():
        median = statistics.median(values)
        print(f"  {label}: {median:.3f} s ({min(values):.3f}-{max(values):.3f}), "
              f"ratio to this version {median / reference:.2f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--model", default="multiscale:tiny", help="NAME:PRESET")
    parser.add_argument("--case", help="case folder (default: the real case, else synthetic)")
    parser.add_argument("--baseline-src", help="src/ of the version to compare against")
    parser.add_argument("--repeats", type=int, default=3, help="cold runs of each set-up")
    parser.add_argument("--warm-cases", type=int, default=5, help="cases per warm process")
    parser.add_argument("--results", default=str(HERE / "RESULTS.md"))
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also print a cProfile of one cold run (this version)",
    )
    parser.add_argument(
        "--load-only", action="store_true",
        help="time only loading the run (checkpoint read, network built) in a fresh process",
    )  # fmt: skip
    parser.add_argument("--warm-one", help=argparse.SUPPRESS)
    parser.add_argument("--load-one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.warm_one:
        print(json.dumps(warm_one(*json.loads(args.warm_one))))
        return
    if args.load_one:
        print(json.dumps(load_one(*json.loads(args.load_one))))
        return
    sys.path.insert(0, str(SRC))
    work = Path(tempfile.mkdtemp(prefix="smart-brains-latency-"))
    case = Path(args.case) if args.case else REAL_CASE
    if not case.is_dir():
        from smart_brains.synth.cohort import synth_cohort

        synth_cohort(work / "data", n_cases=1, seed=0, spacing_mm=1.0, progress=False)
        case = work / "data" / "BraTS2021_00000"
    name, preset = args.model.split(":")
    run = make_run(work / "runs", name, preset)
    versions = {"this version": SRC}
    if args.baseline_src:
        versions["baseline"] = Path(args.baseline_src)
    if args.load_only:
        print_load_times(versions, run, args.device, args.repeats)
        return
    rows = {}
    for _ in range(args.repeats):
        for tta in ("none", "8"):
            for label, src in versions.items():
                rows.setdefault((label, tta), []).append(cold(src, case, run, args.device, tta))
                print(label, tta, f"cold {rows[(label, tta)][-1]:.2f} s", flush=True)
    warm_rows = {}
    for tta in ("none", "8"):
        for label, src in versions.items():
            warm_rows[(label, tta)] = warm(src, case, run, args.device, tta, args.warm_cases)
            print(label, tta, warm_rows[(label, tta)], flush=True)
    write_results(Path(args.results), args, case, rows, warm_rows)
    if args.profile:
        profile_cold(case, run, args.device)


def profile_cold(case: Path, run: Path, device: str) -> None:
    """Where a cold start's seconds go: cProfile of one ``predict``, cumulative, top 40."""
    env = {**os.environ, "PYTHONPATH": _path(SRC)}
    with tempfile.TemporaryDirectory() as out:
        done = subprocess.run(
            [sys.executable, "-m", "cProfile", "-s", "cumtime", "-m", "smart_brains", "predict",
             str(case), "--model", str(run), "--out", out, "--device", device],
            env=env, check=True, capture_output=True, text=True,
        )  # fmt: skip
    lines = done.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if "function calls" in line)
    print("\n".join(lines[start : start + 48]))


def device_name(device: str) -> str:
    import torch

    if device.startswith("cuda") and torch.cuda.is_available():
        return torch.cuda.get_device_name(0)
    return f"cpu, {platform.machine()} ({os.cpu_count()} CPU cores)"


def write_results(path: Path, args, case: Path, cold_rows: dict, warm_rows: dict) -> None:
    lines = [
        f"\n## Prediction latency: {date.today()}, {device_name(args.device)}\n",
        f"Command: `python benchmarks/predict_latency.py --device {args.device} --model "
        f"{args.model}{' --baseline-src ...' if args.baseline_src else ''}`. One case "
        f"({case.name}, 240x240x155, four modalities), fresh weights. Cold: `python -m "
        "smart_brains predict` from process start to the NIfTI written, median (min-max) of "
        f"{args.repeats}. Once running: one `predict` of {args.warm_cases} copies of the case, "
        "seconds between the first and the last segmentation written / (copies - 1).\n",
        "| version | TTA | cold s/case | once running s/case | cold ratio to this version |",
        "|---|---|---|---|---|",
    ]
    for (label, tta), times in cold_rows.items():
        ours = statistics.median(cold_rows[("this version", tta)])
        lines.append(
            f"| {label} | {tta} | {statistics.median(times):.2f} ({min(times):.2f}-"
            f"{max(times):.2f}) | {warm_rows[(label, tta)]['per_case']:.2f} | "
            f"{statistics.median(times) / ours:.2f} |"
        )
    with path.open("a") as fh:
        fh.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
