"""A minimal HTTP/1.1 exchange on one kept-alive socket: a prebuilt request out, an answer in.

`http.client` costs here: bench/bench_paths.py measures it against this and a bare socket client
on the same servers; it added tens of µs of latency and client CPU to every request *and* made
the server's tree spend more CPU per request (the figure ops_per_cpu_s is made of). This reads just
what an answer needs: the status line, the headers that frame the body (Content-Length,
Transfer-Encoding: chunked, Connection), and the body, which is counted and dropped; interim 1xx
answers are skipped; HEAD, 204 and 304 answers have no body; an answer without a length ends
with the connection.
"""

from __future__ import annotations

import socket
import time

MAX_HEAD = 64 * 1024  # status line and headers of one answer
_READ = 65536


class WireError(Exception):
    """The peer's bytes are not an HTTP/1.x answer, or it closed the connection mid-answer."""


class Exchange:
    """Requests and answers on one connected socket, until either side closes it."""

    def __init__(self, sock: socket.socket, deadline_s: float) -> None:
        self.sock = sock
        self.deadline_s = deadline_s  # per request, on top of the socket's own timeout per read
        self._buffer = bytearray()
        self._until_ns = 0

    def request(self, method: str, data: bytes, extra_body: bytes | None = None) -> tuple[int, bool]:
        """Send `data` (request head, and body when small) then `extra_body`; return (status,
        whether the connection may carry another request)."""
        self._until_ns = time.perf_counter_ns() + int(self.deadline_s * 1e9)
        self._buffer.clear()
        self.sock.sendall(data)
        if extra_body:
            self.sock.sendall(extra_body)
        while True:
            status, headers, version = self._head()
            if not 100 <= status < 200 or status == 101:
                break
        keep = self._keeps(headers, version)
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            return status, keep
        encoding = headers.get(b"transfer-encoding", b"").lower()
        if encoding and encoding != b"identity":
            if not encoding.endswith(b"chunked"):
                self._drain_to_close()
                return status, False
            self._chunked()
            return status, keep
        length = headers.get(b"content-length")
        if length is None:
            self._drain_to_close()
            return status, False
        try:
            size = int(length)
        except ValueError:
            raise WireError("a Content-Length that is not a number") from None
        if size < 0:
            raise WireError("a negative Content-Length")
        self._skip(size)
        return status, keep

    # -- reading ----------------------------------------------------------------------------

    def _recv(self) -> bytes:
        if time.perf_counter_ns() > self._until_ns:
            raise TimeoutError
        chunk = self.sock.recv(_READ)
        if not chunk:
            raise WireError("the server closed the connection mid-answer")
        return chunk

    def _line(self, limit: int = MAX_HEAD) -> bytes:
        while (end := self._buffer.find(b"\r\n")) < 0:
            if len(self._buffer) > limit:
                raise WireError("a header line longer than 64 KiB")
            self._buffer += self._recv()
        line = bytes(self._buffer[:end])
        del self._buffer[: end + 2]
        return line

    def _head(self) -> tuple[int, dict[bytes, bytes], bytes]:
        while (end := self._buffer.find(b"\r\n\r\n")) < 0:
            if len(self._buffer) > MAX_HEAD:
                raise WireError("an answer head longer than 64 KiB")
            self._buffer += self._recv()
        head = bytes(self._buffer[:end])
        del self._buffer[: end + 4]
        lines = head.split(b"\r\n")
        parts = lines[0].split(None, 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit() or len(parts[1]) != 3:
            raise WireError(f"not an HTTP/1.x status line: {lines[0][:60]!r}")
        headers: dict[bytes, bytes] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(b":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        return int(parts[1]), headers, parts[0]

    @staticmethod
    def _keeps(headers: dict[bytes, bytes], version: bytes) -> bool:
        connection = headers.get(b"connection", b"").lower()
        if version == b"HTTP/1.0":
            return b"keep-alive" in connection
        return b"close" not in connection

    def _skip(self, size: int) -> None:
        taken = min(size, len(self._buffer))
        del self._buffer[:taken]
        size -= taken
        while size > 0:
            chunk = self._recv()
            if len(chunk) > size:  # the server sent past the body: keep it for the next answer
                self._buffer += chunk[size:]
            size -= len(chunk)

    def _chunked(self) -> None:
        while True:
            line = self._line()
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise WireError(f"a chunk size that is not hexadecimal: {line[:40]!r}") from None
            if size == 0:
                while self._line():  # trailers, up to the empty line
                    pass
                return
            self._skip(size)
            if self._line():
                raise WireError("a chunk not followed by CRLF")

    def _drain_to_close(self) -> None:
        self._buffer.clear()
        try:
            while self.sock.recv(_READ):
                if time.perf_counter_ns() > self._until_ns:
                    raise TimeoutError
        except ConnectionResetError:
            pass
