"""Models side by side, each trained by the same engine: step time, memory, loader throughput,
and validation Dice at an equal wall-clock budget on the embedded cohort.

    python benchmarks/models.py                        # CPU: 1x4x96^3 steps, 48^3 accuracy runs
    python benchmarks/models.py --device cuda --patch 128 --batch 2   # what benchmarks/gpu.sh runs

Each step-time measurement runs in its own process, so peak memory (RSS on CPU, allocator peak
on CUDA) belongs to that model alone. Results are appended to benchmarks/RESULTS.md (or --results).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

MODELS = ["multiscale:tiny", "multiscale:base", "unet:tiny", "segresnet:base", "plainconvunet:base"]
HERE = Path(__file__).parent


def step_time(spec: str, patch: int, batch: int, device: str, steps: int, amp: bool) -> dict:
    """Seconds per optimiser step (median of ``steps`` after one warm-up) and peak memory."""
    import torch

    from smart_brains.models.registry import build_model
    from smart_brains.training.losses import build_loss

    name, preset = spec.split(":")
    dev = torch.device(device)
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    torch.manual_seed(0)
    model = build_model(name, preset, 4, 3).to(dev).train()
    if dev.type == "cuda":
        model = model.to(memory_format=torch.channels_last_3d)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4)
    loss_fn = build_loss("dice_bce")
    x = torch.randn(batch, 4, patch, patch, patch, device=dev)
    y = (torch.rand(batch, 3, patch, patch, patch, device=dev) > 0.9).float()
    if dev.type == "cuda":
        x = x.contiguous(memory_format=torch.channels_last_3d)
        torch.cuda.reset_peak_memory_stats()
    times = []
    for i in range(steps + 1):
        if dev.type == "cuda":
            torch.cuda.synchronize()
        started = time.perf_counter()
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=amp):
            loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        if dev.type == "cuda":
            torch.cuda.synchronize()
        if i:
            times.append(time.perf_counter() - started)
    times.sort()
    if dev.type == "cuda":
        peak_mb = torch.cuda.max_memory_allocated() / 2**20
    else:
        peak_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base_rss) / 1024
    return {"model": spec, "s_per_step": times[len(times) // 2], "peak_mb": peak_mb}


def loader_throughput(
    cache: Path, patch: int, batch: int, workers: int, n_batches: int, augment: str
) -> float:
    """Training patches per second from the prepared cache. ``augment='loader'``: augmented in
    the workers (the CPU set-up); ``'device'``: workers only cut patches and draw parameters,
    the GPU augments (the CUDA set-up)."""
    from torch.utils.data import DataLoader

    from smart_brains.data.splits import load_splits
    from smart_brains.training.patches import PatchDataset

    train = load_splits(cache / "splits.json")["train"]
    dataset = PatchDataset(str(cache), train, (patch,) * 3, n_batches * batch, augment=augment)
    loader = DataLoader(dataset, batch_size=batch, num_workers=workers)
    iterator = iter(loader)
    next(iterator)  # workers started
    started = time.perf_counter()
    count = 0
    for image, *_ in iterator:
        count += len(image)
    return count / (time.perf_counter() - started)


def accuracy_at_budget(
    cache: Path, runs: Path, spec: str, budget_s: float, patch: int, batch: int, device: str
) -> dict:
    from smart_brains.config import TrainConfig
    from smart_brains.data.labels import REGIONS
    from smart_brains.training.loop import fit

    name, preset = spec.split(":")
    shutil.rmtree(runs / spec.replace(":", "-"), ignore_errors=True)  # a fresh run each time
    cfg = TrainConfig(
        cache=str(cache), name=spec.replace(":", "-"), runs_dir=str(runs), model=name, preset=preset,
        epochs=10_000, steps_per_epoch=25, val_every=10**9, batch_size=batch,
        patch_size_vox=(patch,) * 3, time_budget_s=budget_s, device=device,
        num_workers=4 if device.startswith("cuda") else 0,
    )  # fmt: skip
    run = fit(cfg, progress=False)
    last = run.metrics.read_text().splitlines()[-1].split(",")
    header = run.metrics.read_text().splitlines()[0].split(",")
    row = dict(zip(header, last))
    return {
        "model": spec,
        "steps": int(row["epoch"]) * 25,
        **{r: float(row[f"val_dice_{r}"]) for r in REGIONS},
        "mean": float(row["val_dice_mean"]),
    }


def _child(args: argparse.Namespace) -> None:
    print(
        json.dumps(step_time(args.one, args.patch, args.batch, args.device, args.steps, args.amp))
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--patch", type=int, default=96, help="step-time patch edge (voxels)")
    parser.add_argument("--batch", type=int, default=1, help="step-time batch")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--amp", action="store_true", help="bf16 autocast (CUDA)")
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--accuracy-models", default=None, help="default: --models")
    parser.add_argument("--budget-s", type=float, default=300, help="training seconds per model")
    parser.add_argument("--train-patch", type=int, default=48)
    parser.add_argument("--train-batch", type=int, default=2)
    parser.add_argument("--skip-accuracy", action="store_true")
    parser.add_argument(
        "--spacing", type=float, default=None, help="cohort voxel size, mm (default: the demo's)"
    )
    parser.add_argument("--data-workers", type=int, default=2, help="processes for synth/prepare")
    parser.add_argument("--work", default=str(HERE / "work" / "models"))
    parser.add_argument("--results", default=str(HERE / "RESULTS.md"))
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        return _child(args)

    models = args.models.split(",")
    steps = []
    for spec in models:
        cmd = [sys.executable, __file__, "--one", spec, "--device", args.device, "--patch", str(args.patch),
               "--batch", str(args.batch), "--steps", str(args.steps)] + (["--amp"] if args.amp else [])  # fmt: skip
        out = subprocess.run(cmd, capture_output=True, text=True)
        if out.returncode:
            print(out.stderr[-2000:], file=sys.stderr)
            steps.append({"model": spec, "s_per_step": float("nan"), "peak_mb": float("nan")})
        else:
            steps.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(steps[-1], flush=True)
    ref = {s["model"]: s["s_per_step"] for s in steps}

    from smart_brains.data.cache import prepare
    from smart_brains.synth.cohort import synth_cohort
    from smart_brains.workflows.demo import DemoConfig

    work = Path(args.work)
    demo = DemoConfig()
    spacing = args.spacing or demo.spacing_mm
    synth_cohort(
        work / "data", demo.n_cases, demo.seed, spacing, workers=args.data_workers, progress=False
    )
    prepare(work / "data", work / "cache", workers=args.data_workers, progress=False)
    augment_on = "device" if args.device.startswith("cuda") else "loader"
    throughput = loader_throughput(
        work / "cache",
        args.train_patch,
        args.train_batch,
        workers=2,
        n_batches=40,
        augment=augment_on,
    )
    consumed = None
    if "multiscale:tiny" in models:
        one = [sys.executable, __file__, "--one", "multiscale:tiny", "--device", args.device, "--patch",
               str(args.train_patch), "--batch", str(args.train_batch), "--steps", "5"]  # fmt: skip
        tiny = json.loads(
            subprocess.run(one, capture_output=True, text=True, check=True).stdout.splitlines()[-1]
        )
        consumed = args.train_batch / tiny["s_per_step"]
    print(f"loader: {throughput:.1f} patches/s; training consumes {consumed}", flush=True)

    accuracy = []
    if not args.skip_accuracy:
        for spec in (args.accuracy_models or args.models).split(","):
            accuracy.append(
                accuracy_at_budget(
                    work / "cache",
                    work / "runs",
                    spec,
                    args.budget_s,
                    args.train_patch,
                    args.train_batch,
                    args.device,
                )
            )
            print(accuracy[-1], flush=True)

    dev_name = args.device
    if args.device.startswith("cuda"):
        import torch

        dev_name = torch.cuda.get_device_name(0)
    lines = [
        f"\n## Models side by side: {date.today().isoformat()}, {dev_name}, "
        f"{platform.machine()} ({os.cpu_count()} CPU cores)\n",
        f"Command: `python benchmarks/models.py {' '.join(sys.argv[1:])}`\n",
        f"Training step (forward, backward, AdamW; Dice+BCE, deep supervision where the model has it) on a "
        f"{args.batch}x4x{args.patch}^3 patch{' with bf16 autocast' if args.amp else ''}, median of {args.steps} after a warm-up; "
        "peak memory is the process's RSS growth (CPU) or the allocator's peak (CUDA):\n",
        "| model | s/step | peak MB | step-time ratio to this model |",
        "|---|---|---|---|",
    ]
    base = ref.get("multiscale:tiny") if "cpu" in args.device else ref.get("multiscale:base")
    for s in steps:
        ratio = s["s_per_step"] / base if base else float("nan")
        lines.append(f"| {s['model']} | {s['s_per_step']:.3f} | {s['peak_mb']:.0f} | {ratio:.2f} |")
    basename = "multiscale:tiny" if "cpu" in args.device else "multiscale:base"
    lines.append(
        f"\n(ratio = model's s/step / {basename}'s: above 1 means {basename} is faster.)\n"
    )
    lines.append(
        f"Loader throughput, {args.train_batch}x{args.train_patch}^3 patches, 2 workers, augmentation "
        f"{'in the workers' if augment_on == 'loader' else 'left to the GPU'}: "
        f"{throughput:.1f} patches/s"
        + (
            f"; multiscale:tiny training consumes {consumed:.1f} patches/s (ratio {throughput / consumed:.2f})."
            if consumed
            else "."
        )
    )
    if accuracy:
        lines += [
            f"\nValidation Dice (4 held-out cases of the demo cohort at {spacing} mm, 16 training cases) after {args.budget_s:.0f} s "
            f"of training each, {args.train_batch}x{args.train_patch}^3 patches, default engine settings:\n",
            "| model | steps | WT | TC | ET | mean |",
            "|---|---|---|---|---|---|",
            *[
                f"| {a['model']} | {a['steps']} | {a['WT']:.3f} | {a['TC']:.3f} | {a['ET']:.3f} | {a['mean']:.3f} |"
                for a in accuracy
            ],
        ]
    Path(args.results).parent.mkdir(parents=True, exist_ok=True)
    with open(args.results, "a") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
