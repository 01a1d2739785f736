"""Prediction speed and memory on one full 240x240x155 four-modality case, side by side:
`multiscale` (each preset) and the baselines MONAI `segresnet`, MONAI `unet` and nnU-Net's
`PlainConvUNet`, without TTA and with 8-flip mirroring TTA; and `evaluate`'s time per case.

    python benchmarks/predict.py                 # the real case of ../shared/data, else synthetic

Each measurement runs in its own process (peak memory = that process's RSS high-water mark) and
times the whole `Predictor.predict_case`: loading the NIfTI files, cropping and normalising,
sliding-window inference with Gaussian blending, labels, writing the NIfTI. Weights are freshly
initialised: speed does not depend on them. Results are appended to benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).parent
REAL_CASE = HERE.parents[1] / "shared" / "data" / "real-case" / "TCGA-FG-6692"
# (label, model, preset, roi edge, overlap): ours at its defaults, then everyone at the
# reference set-up of the issue (roi 96^3, overlap 0.5)
SETUPS = [
    ("multiscale:tiny (default: roi 48, overlap 0.25)", "multiscale", "tiny", None, None),
    ("multiscale:tiny, roi 96, overlap 0.5", "multiscale", "tiny", 96, 0.5),
    ("multiscale:base, roi 96, overlap 0.5", "multiscale", "base", 96, 0.5),
    ("unet:tiny, roi 96, overlap 0.5", "unet", "tiny", 96, 0.5),
    ("segresnet:base, roi 96, overlap 0.5", "segresnet", "base", 96, 0.5),
    ("plainconvunet:base, roi 96, overlap 0.5", "plainconvunet", "base", 96, 0.5),
]


def one(
    case_dir: str, model: str, preset: str, roi: int | None, overlap: float | None, tta: str
) -> dict:
    """Seconds and peak RSS growth (MB) of one predict_case in this process."""
    import torch

    from smart_brains.config import TrainConfig
    from smart_brains.data.discovery import discover
    from smart_brains.inference.predict import PredictOptions, Predictor
    from smart_brains.models.registry import build_model

    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    torch.manual_seed(0)
    cfg = TrainConfig(cache=".", model=model, preset=preset,
                      patch_size_vox=(roi,) * 3 if roi else None).validate()  # fmt: skip
    net = build_model(model, preset, 4, cfg.out_channels).eval()
    predictor = Predictor([net], cfg, torch.device("cpu"))
    (case,) = discover(case_dir)
    options = PredictOptions(tta=tta, overlap=overlap, overwrite=True)
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        predictor.predict_case(case, Path(out), options)
        seconds = time.perf_counter() - started
    peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024
    return {"seconds": seconds, "peak_mb": peak}


def evaluate_time(case_dir: Path) -> tuple[float, str]:
    """Seconds to score one case (all metrics, lesion-wise included) and what was scored."""
    from smart_brains.data.discovery import discover
    from smart_brains.data.segmentations import read_pair
    from smart_brains.evaluation.evaluate import score_labels
    from smart_brains.evaluation.voxel_classification import confusion_matrix

    (case,) = discover(case_dir)
    refs = sorted((case_dir / "refs").glob("*.nii.gz")) if (case_dir / "refs").is_dir() else []
    pred_path = refs[0] if refs else case.seg
    started = time.perf_counter()
    pred, ref, spacing = read_pair(case, pred_path)
    score_labels(pred, ref, spacing)
    confusion_matrix(pred, ref)
    return time.perf_counter() - started, pred_path.name


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--case", help="case folder (default: the real case, else a synthetic one)")
    parser.add_argument("--tta", default="none,8")
    parser.add_argument("--setups", help="comma-separated indices into SETUPS (default: all)")
    parser.add_argument("--results", default=str(HERE / "RESULTS.md"))
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(*json.loads(args.one))))
        return

    case = Path(args.case) if args.case else REAL_CASE
    if not case.is_dir():
        from smart_brains.synth.cohort import synth_cohort

        folder = HERE / "work" / "predict"
        synth_cohort(folder, n_cases=1, seed=0, spacing_mm=1.0, progress=False)
        case = next(p for p in sorted(folder.iterdir()) if p.is_dir())
    picked = [SETUPS[int(i)] for i in args.setups.split(",")] if args.setups else SETUPS
    rows = []
    for tta in args.tta.split(","):
        for label, model, preset, roi, overlap in picked:
            spec = json.dumps([str(case), model, preset, roi, overlap, tta])
            done = subprocess.run([sys.executable, __file__, "--one", spec],
                                  capture_output=True, text=True, check=True)  # fmt: skip
            got = json.loads(done.stdout.splitlines()[-1])
            rows.append({"setup": label, "tta": tta, **got})
            print(rows[-1], flush=True)
    eval_s, scored = evaluate_time(case)
    print({"evaluate_s": eval_s})
    write_results(Path(args.results), case, rows, eval_s, scored)


def write_results(path: Path, case: Path, rows: list[dict], eval_s: float, scored: str) -> None:
    import nibabel as nib

    shape = nib.load(str(next(case.glob("*flair*")))).shape
    lines = [
        f"\n## Prediction speed: {date.today()}, cpu, {platform.machine()} (2 CPU cores)\n",
        f"Command: `python benchmarks/predict.py`. One case, {case.name}, "
        f"{'x'.join(map(str, shape))} voxels, four modalities; wall time of the whole "
        "`predict_case` (read, crop, normalise, sliding window with Gaussian blending, labels, "
        "write) and the process's peak RSS growth; fresh weights. Ratio = that set-up's time / "
        "the default multiscale:tiny's at the same TTA.\n",
        "| set-up | TTA | s/case | peak MB | time ratio |",
        "|---|---|---|---|---|",
    ]
    for row in rows:
        ref = next(
            r
            for r in rows
            if r["tta"] == row["tta"] and r["setup"].startswith("multiscale:tiny (default")
        )
        lines.append(f"| {row['setup']} | {row['tta']} | {row['seconds']:.1f} | {row['peak_mb']:.0f} | "
                     f"{row['seconds'] / ref['seconds']:.2f} |")  # fmt: skip
    lines.append(f"\n`evaluate` on this case ({scored} against the reference: Dice, HD95, "
                 f"sensitivity, specificity, lesion-wise, confusion matrix): {eval_s:.2f} s.\n")  # fmt: skip
    with path.open("a") as fh:
        fh.write("\n".join(lines))


if __name__ == "__main__":
    main()
