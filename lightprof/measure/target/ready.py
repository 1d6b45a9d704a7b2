"""Ready probes: when does a launched server count as started?

Each probe is called in a loop between spawn and the timeout; the loop sleeps on the target's
pidfd, so a target that dies wakes it at once. Probe resolution: the first 50 ms are polled every
0.25 ms, then every 1 ms up to one second, then every 5 ms (connection attempts to a closed
loopback port cost ~20 µs each, so early polling is cheap).

Every probe is bounded in time: by `PROBE_LIMIT_S` and by what is left of the run's timeout, so a
server that accepts and then answers one byte at a time cannot hold the run past its timeout.
"""

from __future__ import annotations

import re
import socket
import time
from urllib.parse import urlsplit

from lightprof.measure.target import ports
from lightprof.profile.spec import ReadySpec

PROBE_LIMIT_S = 1.0
STATUS_LINE_MAX = 1024
_STATUS = re.compile(rb"^HTTP/\d(?:\.\d)? (\d{3})(?:[ \r]|$)")


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
        self.host = host
        self.port = port
        self.address = (host.strip("[]"), port)

    def __call__(self, limit_s: float = PROBE_LIMIT_S) -> bool:
        try:
            with socket.create_connection(self.address, timeout=max(min(limit_s, PROBE_LIMIT_S), 0.001)):
                return True
        except (OSError, ValueError, OverflowError):
            return False


class HttpProbe:
    """Ready when GET url answers with a 2xx or 3xx status line (the body is never read)."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.request = (
            f"GET {path} HTTP/1.1\r\nHost: {parts.netloc.rsplit('@', 1)[-1]}\r\nUser-Agent: lightprof\r\n"
            "Accept: */*\r\nConnection: close\r\n\r\n"
        ).encode("ascii", "replace")
        self.last_status: int | None = None

    def __call__(self, limit_s: float = PROBE_LIMIT_S) -> bool:
        deadline = time.monotonic() + max(min(limit_s, PROBE_LIMIT_S), 0.001)
        try:
            with socket.create_connection((self.host, self.port), timeout=deadline - time.monotonic()) as sock:
                sock.sendall(self.request)
                line = _status_line(sock, deadline)
        except (OSError, ValueError, OverflowError):
            return False
        match = _STATUS.match(line) if line is not None else None
        if match is None:
            return False
        self.last_status = int(match.group(1))
        return 200 <= self.last_status < 400


def _status_line(sock: socket.socket, deadline: float) -> bytes | None:
    """The first line of the answer, read until CRLF, closed connection or the deadline."""
    data = b""
    while b"\n" not in data and len(data) < STATUS_LINE_MAX:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        sock.settimeout(left)
        chunk = sock.recv(STATUS_LINE_MAX - len(data))
        if not chunk:
            break
        data += chunk
    return data.split(b"\n", 1)[0]


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


def probed_address(probe: PortProbe | HttpProbe | None) -> tuple[str, int] | None:
    """(host, port) a probe connects to when that is a loopback address lightprof can check."""
    if probe is None or not ports.is_loopback(probe.host):
        return None
    return probe.host, probe.port


def busy_port(probe: PortProbe | HttpProbe | None, settle_s: float = 1.0) -> str | None:
    """The sentence to stop on when the probe's loopback port is taken before the target starts.

    A port still answering is asked again for up to `settle_s`: the previous run's server was
    killed an instant ago and may not have closed its socket yet; a squatter stays.
    """
    address = probed_address(probe)
    if address is None or not ports.answers(*address):
        return None
    deadline = time.monotonic() + settle_s
    while ports.answers(*address):
        if time.monotonic() >= deadline:
            break
        time.sleep(0.02)
    else:
        return None
    host, port = address
    return (
        f"ready port {port} on {host} is already in use{ports.describe_holder(port)} before the target "
        "started: stop that process or give the target a free port"
    )
