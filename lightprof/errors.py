"""Errors a user can cause, each carrying one sentence and the exit code it maps to."""

from __future__ import annotations

EXIT_OK = 0
EXIT_BUDGET = 1
EXIT_INVALID = 2
EXIT_UNMEASURED = 3
EXIT_INTERRUPTED = 130


class LightprofError(Exception):
    """A problem the user can fix; the CLI prints `message` and exits with `exit_code`."""

    exit_code = EXIT_INVALID

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ProfileError(LightprofError):
    """The profile (or an invocation) is invalid: nothing was measured."""

    exit_code = EXIT_INVALID


class MeasureError(LightprofError):
    """A subject could not be measured (did not start, crashed, timed out, unreadable input)."""

    exit_code = EXIT_UNMEASURED
