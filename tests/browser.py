"""Headless Chromium for the tests of pages: Debian's `chromium` package (`.ci/run` installs
it); without it a test skips, unless $SMART_BRAINS_REQUIRE_CHROMIUM is set (CI)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

# WebGL2 without a GPU (niivue's canvas), and no network: a page that fetched anything would
# fail its request and log it
FLAGS = [
    "--headless", "--no-sandbox", "--use-angle=swiftshader", "--enable-unsafe-swiftshader",
    "--disable-background-networking", "--disable-component-update", "--no-first-run",
    "--proxy-server=127.0.0.1:9", "--enable-logging=stderr", "--v=0",
]  # fmt: skip


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        if os.environ.get("SMART_BRAINS_REQUIRE_CHROMIUM"):
            pytest.fail("chromium is not installed")
        pytest.skip("chromium is not installed (Debian package `chromium`)")
    return found


def run_chromium(
    page: Path, *extra: str, budget_ms: int = 20000, window: str = "1300,850"
) -> subprocess.CompletedProcess:
    """Open ``page`` headless in a ``window`` (width,height), let its scripts run for
    ``budget_ms`` of virtual time, then do what ``extra`` asks (``--dump-dom``,
    ``--screenshot=PATH``)."""
    return subprocess.run(
        [chromium(), *FLAGS, f"--window-size={window}", f"--virtual-time-budget={budget_ms}",
         *extra, page.as_uri()],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
