"""The one exception the kernels lab raises internally: a kernel failed, named and explained."""

from __future__ import annotations


class KernelFailure(Exception):
    """A kernel could not be measured or is wrong; `kind` names how, `message` says it to a user.

    Kinds: "manifest", "fallback", "malformed", "imports", "signature", "memory", "timeout",
    "trap", "mismatch", "cancelled". `measure_kernel` turns it into `KernelResult.error`.
    """

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
