"""Issue 25's ablation: what each change to the generator buys on real scans and unseen brains.

    bash configs/glioma-v2-cohorts.sh pretrain-v2           # the four training cohorts
    python benchmarks/generator_ablation.py --work pretrain-v2 [--recipes ...] [--seeds 0 1]

Every recipe is one training cohort of 200 generated cases (``configs/glioma-v2-cohorts.sh``:
baseline, growth, appearance, both) trained by the same engine and config
(``configs/pretrained.yaml``: multiscale tiny, 2 x 48^3 patches at 2 mm) for the same number of
steps, with each seed; two runs train side by side, one thread each. Extra recipes train a
cohort with other settings: ``RECIPE@preset=small`` (a larger network), ``RECIPE@spacing=1.5``
(the same recipe generated and trained at 1.5 mm, patches of the same 96 mm). Each run is then scored through
the command line a user runs (``benchmarks/pretrained.py``'s ``score``: `predict`, then
`evaluate --challenge brats2021`), on:

- the 4 real validation cases at their native 1 mm (``../shared/data/real-val``: never a source);
- 16 held-out generated cases of the earlier generator (``synth --held-out``: the avg152 brain at
  acquisition site 3, which no training case has) and 16 of the new one (the same brain and site,
  grown gliomas, a look per sub-region);
- 4 held-out cases of each failure mode (``synth --held-out --glioma MODE``), and 6 of each on
  the same unseen brain at the development sites' acquisitions (``synth --brain avg152 --glioma
  MODE``): the held-out site's thick slices, bias and contrast curves are an acquisition shift
  that would otherwise hide what the tumour's kind does.

Per-case scores go to ``WORK/ablation/scores.csv``; the Markdown tables print (mean Dice of the
seeds per recipe, and per test set) for ``benchmarks/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pandas as pd

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from pretrained import SHARED, cli, score  # noqa: E402

from smart_brains.synth.glioma import MODES  # noqa: E402

HELD_OUT = ["--held-out"]  # the avg152 brain at acquisition site 3: unseen anatomy and scanner
UNSEEN_BRAIN = ["--brain", "avg152"]  # unseen anatomy at the development sites' acquisitions
TESTS = {  # name -> synth flags
    "held-out, earlier generator": [*HELD_OUT, "--n", "16"],
    "held-out, grown + random look": [*HELD_OUT, "--n", "16", "--tumours", "growth",
                                      "--appearance", "random"],
    **{
        f"failure mode: {mode}": [*HELD_OUT, "--n", "4", "--glioma", mode, "--appearance", "random"]
        for mode in MODES
    },
    **{
        f"failure mode at known sites: {mode}": [*UNSEEN_BRAIN, "--n", "6", "--glioma", mode,
                                                 "--appearance", "random"]
        for mode in MODES
    },
}  # fmt: skip


def parse_recipe(recipe: str) -> tuple[str, dict[str, str]]:
    """'both@preset=small,spacing=1.5' -> ('both', {'preset': 'small', 'spacing': '1.5'})."""
    cohort, _, extra = recipe.partition("@")
    return cohort, dict(item.split("=") for item in extra.split(",") if item)


def cache_of(work: Path, recipe: str) -> Path:
    """The prepared cohort of ``recipe`` (``configs/glioma-v2-cohorts.sh`` makes them; with
    ``spacing=S``, ``SPACING=S`` makes the cohort generated at that spacing)."""
    cohort, extra = parse_recipe(recipe)
    spacing = extra.get("spacing")
    cache = work / (f"cache-{cohort}-{spacing}mm" if spacing else f"cache-{cohort}")
    if not cache.is_dir():
        sys.exit(f"{cache}: run `SPACING={spacing or 2} bash configs/glioma-v2-cohorts.sh "
                 f"{work} {cohort}` first")  # fmt: skip
    return cache


def train_command(work: Path, recipe: str, seed: int, epochs: int) -> list[str]:
    _, extra = parse_recipe(recipe)
    name = f"{recipe.replace('@', '-').replace('=', '').replace(',', '-')}-s{seed}"
    command = [sys.executable, "-m", "smart_brains", "train", str(cache_of(work, recipe)),
               "--config", "configs/pretrained.yaml", "--name", name, "--runs-dir",
               str(work / "runs"), "--seed", str(seed), "--epochs", str(epochs),
               "--time-budget", "100000"]  # fmt: skip
    if "preset" in extra:
        command += ["--preset", extra["preset"]]
    if "spacing" in extra:  # the same 96 mm of context
        command += ["--patch-size", str(int(round(96 / float(extra["spacing"]) / 8) * 8))]
    return command


def train_all(work: Path, recipes: list[str], seeds: list[int], epochs: int) -> dict:
    """Train every (recipe, seed) not trained yet, two at a time, one thread each."""
    runs, queue = {}, []
    for recipe in recipes:
        for seed in seeds:
            command = train_command(work, recipe, seed, epochs)
            run = work / "runs" / command[command.index("--name") + 1]
            runs[(recipe, seed)] = run
            done = (run / "checkpoints" / "last.pt").is_file() and (run / "metrics.csv").is_file()
            if done and len(pd.read_csv(run / "metrics.csv")) >= epochs:
                continue
            if (run / "checkpoints" / "last.pt").is_file():
                command += ["--resume", "last"]
            queue.append((command, run))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    running: list[subprocess.Popen] = []
    for command, run in queue:
        while len(running) >= 2:
            running = [p for p in running if p.poll() is None]
            time.sleep(5)
        run.parent.mkdir(parents=True, exist_ok=True)
        log = open(run.parent / f"{run.name}.log", "a")  # noqa: SIM115 (closed with the process)
        running.append(subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env))
    for p in running:
        p.wait()
    return runs


def test_sets(work: Path) -> dict[str, Path]:
    out = {}
    for i, (name, flags) in enumerate(TESTS.items()):
        folder = work / "tests" / f"test{i}"
        if not (folder / "cohort.json").is_file():
            cli("synth", "--seed", "0", "--spacing", "2", "--workers", "2",
                "--out", str(folder), *flags)  # fmt: skip
        out[name] = folder
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", default="pretrain-v2")
    parser.add_argument(
        "--recipes", nargs="+", default=["baseline", "growth", "appearance", "both"]
    )
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    parser.add_argument("--epochs", type=int, default=30, help="of 200 steps each")
    parser.add_argument("--real-val", default=str(SHARED / "real-val"))
    parser.add_argument(
        "--score", nargs="*", default=[], metavar="NAME=MODEL",
        help="also score trained models (a run folder or a packaged model's name) on the same "
        "sets, under NAME (seed 0), e.g. glioma-v2=pretrain-v2/runs/glioma-v2 glioma-2mm=glioma-2mm",
    )  # fmt: skip
    parser.add_argument("--tta", default="none", help="predict's --tta for the scored models")
    args = parser.parse_args()
    work = Path(args.work)
    runs = train_all(work, args.recipes, args.seeds, args.epochs)
    for item in args.score:
        name, _, model = item.partition("=")
        runs[(name, 0)] = model
    sets = {"real validation, 1 mm": Path(args.real_val), **test_sets(work)}
    scores_path = work / "ablation" / "scores.csv"
    old = pd.read_csv(scores_path) if scores_path.is_file() else pd.DataFrame()
    rows = [old] if len(old) else []
    done = set(zip(old.recipe, old.seed, old.test)) if len(old) else set()
    for (recipe, seed), run in runs.items():
        for i, (name, folder) in enumerate(sets.items()):
            if (recipe, seed, name) in done:
                continue
            where = work / "ablation" / (run.name if isinstance(run, Path) else f"{recipe}-s{seed}")
            extra = ["--tta", args.tta] if isinstance(run, str) else []
            table, seconds = score(str(run), folder, where, f"set{i}", extra)
            table = table.reset_index().assign(recipe=recipe, seed=seed, test=name)
            rows.append(table.assign(predict_s=seconds))
    scores = pd.concat(rows, ignore_index=True)
    scores_path.parent.mkdir(parents=True, exist_ok=True)
    scores.to_csv(scores_path, index=False)
    print(f"## Generator ablation ({date.today()}, {platform.node()}, {platform.machine()})\n")
    print(f"`python benchmarks/generator_ablation.py --work {args.work} --recipes "
          f"{' '.join(args.recipes)} --seeds {' '.join(map(str, args.seeds))} --epochs "
          f"{args.epochs}`\n")  # fmt: skip
    means = scores.groupby(["test", "recipe", "seed"])[["WT", "TC", "ET"]].mean()
    overview(means, [*args.recipes, *(i.partition("=")[0] for i in args.score)], list(sets))
    for test in sets:
        print(f"**{test}** (mean Dice per seed, then of the seeds)\n")
        print(
            "| recipe | WT | TC | ET | mean | per seed (mean of WT, TC, ET) |\n|---|---|---|---|---|---|"
        )
        for recipe in [*args.recipes, *(i.partition("=")[0] for i in args.score)]:
            part = means.loc[(test, recipe)] if (test, recipe) in means.index.droplevel(2) else None
            if part is None:
                continue
            m = part.mean()
            per_seed = ", ".join(f"{r.mean():.3f}" for _, r in part.iterrows())
            print(
                f"| {recipe} | {m.WT:.3f} | {m.TC:.3f} | {m.ET:.3f} | {m.mean():.3f} | {per_seed} |"
            )
        print()


def overview(means: pd.DataFrame, recipes: list[str], tests: list[str]) -> None:
    """One table: per recipe (rows) and test set (columns), the mean of WT, TC and ET Dice over
    the seeds, and the seeds' count."""
    print("**Overview** (mean of WT, TC and ET Dice, averaged over the seeds)\n")
    print("| recipe | seeds | " + " | ".join(tests) + " |")
    print("|---|---|" + "---|" * len(tests))
    for recipe in recipes:
        cells, seeds = [], 0
        for test in tests:
            if (test, recipe) in means.index.droplevel(2):
                part = means.loc[(test, recipe)]
                seeds = max(seeds, len(part))
                cells.append(f"{part.mean(axis=1).mean():.3f}")
            else:
                cells.append("")
        if seeds:
            print(f"| {recipe} | {seeds} | " + " | ".join(cells) + " |")
    print()


if __name__ == "__main__":
    main()
