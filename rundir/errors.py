"""The run directory's error: a file that is missing, unreadable or fails validation."""

from __future__ import annotations

from go.errors import ZerogoError


class RunDirError(ZerogoError, ValueError):
    """A run directory file that is missing, unreadable or fails validation; the message
    names the file (and the field, for the state)."""


class RunDirLockedError(RunDirError):
    """Another live process holds the run directory's lock (the message names it)."""
