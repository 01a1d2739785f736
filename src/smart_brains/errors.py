"""Errors a user can act on. The CLI prints them as one line and exits with ``exit_code``."""

from __future__ import annotations


class SmartBrainsError(Exception):
    """An error caused by the user's input or environment, not by a bug: no traceback."""

    exit_code = 2


class DataError(SmartBrainsError):
    """A dataset, case or file that cannot be used as it is."""


class TrainingError(SmartBrainsError):
    """Training that cannot go on as configured (it diverged)."""
