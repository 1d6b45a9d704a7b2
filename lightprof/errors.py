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


def shown(value: object, limit: int = 60) -> str:
    """A value fit for a one-line message: as is when short and printable, else escaped and cut.

    Messages echo what a file held; a newline would split the sentence and an escape sequence could
    retitle or recolour the user's terminal, so neither is ever printed raw.
    """
    text = value if isinstance(value, str) else repr(value)
    if len(text) <= limit and text.isprintable():
        return text
    return repr(text[:limit])[1:-1] + ("…" if len(text) > limit else "")
