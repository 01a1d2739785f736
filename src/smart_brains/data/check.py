"""``smart-brains check``: every problem of a dataset at once."""

from __future__ import annotations

from pathlib import Path

from smart_brains.data.discovery import Discovery, Problem, scan
from smart_brains.data.loading import inspect_case
from smart_brains.parallel import map_cases


def check_dataset(
    data: str | Path, layout: str | None = None, workers: int = 1, progress: bool = True
) -> tuple[Discovery, list[Problem], list[Problem]]:
    """Scan ``data`` and read every file of every case; returns the scan, all problems and all
    warnings (what is only probable: modalities that look swapped)."""
    found = scan(data, layout)
    problems, warnings = list(found.problems), []
    for case_problems, case_warnings in map_cases(
        inspect_case, found.cases, workers, "check", progress
    ):
        problems.extend(case_problems)
        warnings.extend(case_warnings)
    return found, problems, warnings


def format_problems(problems: list[Problem]) -> str:
    """A plain-text table: case | file | problem."""
    rows = [("case", "file", "problem")] + [(p.case_id, p.path, p.message) for p in problems]
    w0 = max(len(r[0]) for r in rows)
    w1 = max(len(r[1]) for r in rows)
    return "\n".join(f"{a:<{w0}}  {b:<{w1}}  {c}" for a, b, c in rows)
