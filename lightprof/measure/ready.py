"""Ready probes: when does a launched server count as started?

Each probe is called in a loop between spawn and the timeout; the loop sleeps on the target's
pidfd, so a target that dies wakes it at once. Probe resolution: the first 50 ms are polled every
0.25 ms, then every 1 ms up to one second, then every 5 ms (connection attempts to a closed
loopback port cost ~20 µs each, so early polling is cheap).
"""

from __future__ import annotations

import contextlib
import http.client
import re
import socket
from urllib.parse import urlsplit

from lightprof.profile import ReadySpec


def poll_interval(elapsed_s: float) -> float:
    """How long to wait before the next probe, given time since spawn."""
    if elapsed_s < 0.05:
        return 0.00025
    if elapsed_s < 1.0:
        return 0.001
    return 0.005


class PortProbe:
    """Ready when a TCP connection to host:port is accepted."""

    def __init__(self, host: str, port: int) -> None:
        self.address = (host, port)

    def __call__(self) -> bool:
        try:
            with socket.create_connection(self.address, timeout=0.5):
                return True
        except OSError:
            return False


class HttpProbe:
    """Ready when GET url answers with a 2xx or 3xx status."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.last_status: int | None = None

    def __call__(self) -> bool:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=1.0)
        try:
            conn.request("GET", self.path, headers={"Connection": "close"})
            response = conn.getresponse()
            self.last_status = response.status
            response.read()
            return 200 <= response.status < 400
        except (OSError, http.client.HTTPException):
            return False
        finally:
            with contextlib.suppress(Exception):
                conn.close()


class OutputWatch:
    """Ready when a regex appears in the target's combined stdout and stderr."""

    KEEP = 64 * 1024

    def __init__(self, pattern: str) -> None:
        self.regex = re.compile(pattern)
        self.buffer = ""
        self.matched = False

    def feed(self, data: bytes) -> bool:
        """Add output; True once the pattern has appeared."""
        self.buffer += data.decode("utf-8", "replace")
        if len(self.buffer) > self.KEEP:
            self.buffer = self.buffer[-self.KEEP :]
        if not self.matched and self.regex.search(self.buffer):
            self.matched = True
        return self.matched

    def tail(self, limit: int = 2000) -> str:
        return self.buffer[-limit:].strip()


def make_probe(ready: ReadySpec) -> PortProbe | HttpProbe | None:
    if ready.kind == "port":
        assert ready.port is not None
        return PortProbe(ready.host, ready.port)
    if ready.kind == "http":
        assert ready.url is not None
        return HttpProbe(ready.url)
    return None
