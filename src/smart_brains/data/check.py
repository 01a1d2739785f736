"""``smart-brains check``: every problem of a dataset at once."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from tqdm import tqdm

from smart_brains.data.discovery import Discovery, Problem, scan
from smart_brains.data.loading import check_case


def check_dataset(
    data: str | Path, layout: str | None = None, workers: int = 1, progress: bool = True
) -> tuple[Discovery, list[Problem]]:
    """Scan ``data`` and read every file of every case; returns the scan and all problems."""
    found = scan(data, layout)
    problems = list(found.problems)
    bar = tqdm(
        total=len(found.cases), desc="check", unit="case", disable=None if progress else True
    )
    if workers <= 1:
        for case in found.cases:
            problems.extend(check_case(case))
            bar.update()
    else:
        ctx = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            for case_problems in pool.map(check_case, found.cases):
                problems.extend(case_problems)
                bar.update()
    bar.close()
    return found, problems


def format_problems(problems: list[Problem]) -> str:
    """A plain-text table: case | file | problem."""
    rows = [("case", "file", "problem")] + [(p.case_id, p.path, p.message) for p in problems]
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    return "\n".join(f"{a:<{w0}}  {b:<{w1}}  {c}" for a, b, c in rows)
