"""One way to run a function over many cases: in this process, or in ``workers`` spawned
processes, in order, with a progress bar."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

from tqdm import tqdm

T = TypeVar("T")
R = TypeVar("R")


def map_cases(
    func: Callable[[T], R],
    jobs: Sequence[T],
    workers: int = 1,
    desc: str = "",
    progress: bool = True,
) -> Iterator[R]:
    """Yield ``func(job)`` for every job, in order. ``func`` must be picklable (a module-level
    function) when ``workers`` > 1; processes are spawned, not forked (safe with torch)."""
    bar = tqdm(total=len(jobs), desc=desc, unit="case", disable=None if progress else True)
    try:
        if workers <= 1 or len(jobs) <= 1:
            for job in jobs:
                yield func(job)
                bar.update()
        else:
            ctx = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
                for result in pool.map(func, jobs):
                    yield result
                    bar.update()
    finally:
        bar.close()
