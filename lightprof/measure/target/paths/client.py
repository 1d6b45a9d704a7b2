"""The request loop of one critical path, on kept-alive loopback connections.

Each worker (one per `concurrency`) keeps one HTTP/1.1 connection open (`wire`: a prebuilt
request out, the answer read and dropped) and sends its requests back to back on it, timing
each with `perf_counter_ns` from the request's first byte to the answer's last: the
client-side latency a caller of the route sees. Before the first byte on a connection its peer
address is checked: a request never leaves this machine's loopback, whatever a name resolves
to. The loop is bounded in count (`requests`), in time (`max_time` for the path, `timeout` per
request) and by the caller's cancel event; a server that stops answering ends the path after a
few failed connections in a row instead of being hammered.

The client's own cost is measured (CPU time of the threads that ran the requests), and
`bench/bench_paths.py` compares it with http.client and a raw-socket client on the same servers.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from lightprof.measure.target.paths.wire import Exchange, WireError

FAILURES_IN_A_ROW = 5  # requests without any answer in a row: the server is gone, stop the path
FAILURES_KEPT = 5  # distinct failure sentences kept for the report
_READ = 65536


class NotLoopback(Exception):
    """A connection's peer is not on this machine's loopback: nothing is sent."""


@dataclass
class Answer:
    latency_s: float
    status: int | None  # None: no answer (refused, reset, timed out)
    failure: str | None = None


@dataclass
class PathRun:
    """What the loop saw: the first request apart, then warm-ups, then the measured ones."""

    first: Answer | None = None
    warm: list[Answer] = field(default_factory=list)
    measured: list[Answer] = field(default_factory=list)
    sent: int = 0
    wall_s: float = 0.0
    client_cpu_s: float = 0.0
    stopped_by: str | None = None  # "max_time", "connection" or "cancelled"


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


class Client:
    """One kept-alive connection to one loopback origin (see `wire`: no http.client per request)."""

    def __init__(self, url: str, timeout: float) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.netloc = parts.netloc
        self.timeout = timeout
        self._exchange: Exchange | None = None
        self._prepared: tuple[str, bytes | None, tuple[tuple[str, str], ...], bytes, bytes | None] | None = None

    def _connect(self) -> socket.socket:
        sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        peer = sock.getpeername()[0]
        if not is_loopback(peer):
            sock.close()
            raise NotLoopback(f"{self.host} connected to {peer}, which is not loopback: nothing was sent")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def _bytes(self, method: str, body: bytes | None, headers: dict[str, str]) -> tuple[bytes, bytes | None]:
        """The request's bytes, built once per (method, body, headers): (head [+ small body], rest)."""
        key = (method, body, tuple(headers.items()))
        if self._prepared is None or self._prepared[:3] != key:
            lines = [f"{method} {self.target} HTTP/1.1", f"Host: {self.netloc}"]
            lines += [f"{name}: {value}" for name, value in headers.items()]
            if body is not None or method in ("POST", "PUT", "PATCH"):
                lines.append(f"Content-Length: {len(body or b'')}")
            head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
            small = body is not None and len(body) <= _READ
            self._prepared = (*key, head + (body if small and body else b""), None if small else body)
        return self._prepared[3], self._prepared[4]

    def request(self, method: str, body: bytes | None, headers: dict[str, str]) -> Answer:
        data, rest = self._bytes(method, body, headers)
        start = time.perf_counter_ns()
        try:
            if self._exchange is None:
                self._exchange = Exchange(self._connect(), self.timeout)
            status, keep = self._exchange.request(method, data, rest)
            latency = (time.perf_counter_ns() - start) / 1e9
            if not keep:
                self.close()
            return Answer(latency, status)
        except NotLoopback as exc:
            self.close()
            return Answer((time.perf_counter_ns() - start) / 1e9, None, str(exc))
        except (OSError, WireError) as exc:
            self.close()
            return Answer((time.perf_counter_ns() - start) / 1e9, None, describe(exc, self.timeout))

    def open(self) -> None:
        """Connect now, so that the measured requests do not time a connection's setup (a failure
        is left for the next request to meet and count)."""
        if self._exchange is None:
            with contextlib.suppress(OSError, NotLoopback):
                self._exchange = Exchange(self._connect(), self.timeout)

    def close(self) -> None:
        if self._exchange is not None:
            self._exchange.sock.close()
            self._exchange = None


def describe(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, (ConnectionResetError, BrokenPipeError)):
        return "connection closed by the server without an answer"
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return f"no answer within {timeout:g} s"
    if isinstance(exc, WireError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def run_requests(
    url: str, method: str, body: bytes | None, headers: dict[str, str], *, requests: int, warmup: int,
    concurrency: int, timeout: float, max_time: float, cancel: threading.Event,
    on_start: Callable[[], None] | None = None,
) -> PathRun:
    """The first request alone, then `warmup` and `requests` requests from `concurrency` workers.

    `on_start` is called once the warm-ups are done, just before the measured requests (the
    caller reads the tree's CPU there).
    """
    run = PathRun()
    deadline = time.monotonic() + max_time
    clients = [Client(url, timeout) for _ in range(concurrency)]
    lock = threading.Lock()
    left = {"warm": warmup, "measure": requests}
    failing = [0]

    def take(phase: str) -> bool:
        with lock:
            if cancel.is_set():
                run.stopped_by = run.stopped_by or "cancelled"
            elif failing[0] >= FAILURES_IN_A_ROW:
                run.stopped_by = run.stopped_by or "connection"
            elif time.monotonic() >= deadline:
                run.stopped_by = run.stopped_by or "max_time"
            elif left[phase] > 0:
                left[phase] -= 1
                return True
            return False

    def note(answer: Answer, measured: bool) -> None:
        with lock:
            run.sent += 1
            failing[0] = failing[0] + 1 if answer.status is None else 0
            (run.measured if measured else run.warm).append(answer)

    def loop(phase: str, client: Client) -> float:
        spent = time.thread_time()
        while take(phase):
            note(client.request(method, body, headers), phase == "measure")
        return time.thread_time() - spent

    try:
        spent = time.thread_time()
        run.first = clients[0].request(method, body, headers)
        run.sent = 1
        failing[0] = 0 if run.first.status is not None else 1
        run.client_cpu_s = time.thread_time() - spent
        _together(clients, lambda client: loop("warm", client))
        for client in clients:
            client.open()
        if on_start is not None:
            on_start()
        started = time.perf_counter_ns()
        run.client_cpu_s = sum(_together(clients, lambda client: loop("measure", client)))
        run.wall_s = (time.perf_counter_ns() - started) / 1e9
    finally:
        for client in clients:
            client.close()
    return run


def _together(clients: list[Client], work: Callable[[Client], float]) -> list[float]:
    """Run `work(client)` for every client at once (the first in this thread); their results."""
    if len(clients) == 1:
        return [work(clients[0])]
    results: list[float] = [0.0] * len(clients)

    def worker(i: int) -> None:
        results[i] = work(clients[i])

    threads = [threading.Thread(target=worker, args=(i,), name=f"lightprof-path-{i}", daemon=True)
               for i in range(1, len(clients))]
    for thread in threads:
        thread.start()
    worker(0)
    for thread in threads:
        thread.join()
    return results


def fetch_text(url: str, timeout: float, limit: int = 16 * 1024 * 1024) -> str:
    """GET `url` on loopback and return its body as text; ValueError saying why not. (http.client:
    a scrape is not timed, and its answer's body is wanted.)"""
    import http.client

    client = Client(url, timeout)
    conn = http.client.HTTPConnection(client.host, client.port, timeout=timeout)
    try:
        conn.sock = client._connect()
        conn.request("GET", client.target, headers={"User-Agent": "lightprof", "Accept": "text/plain"})
        response = conn.getresponse()
        if response.status != 200:
            raise ValueError(f"{url} answered HTTP {response.status}, expected 200")
        data = response.read(limit + 1)
    except NotLoopback as exc:
        raise ValueError(str(exc)) from None
    except http.client.HTTPException as exc:
        raise ValueError(f"{url}: not an HTTP answer ({type(exc).__name__})") from None
    except OSError as exc:
        raise ValueError(f"{url}: {describe(exc, timeout)}") from None
    finally:
        conn.close()
    if len(data) > limit:
        raise ValueError(f"{url} answered more than {limit} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{url} did not answer UTF-8 text") from None
