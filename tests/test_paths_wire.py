"""The minimal HTTP/1.1 exchange against scripted answers: framing, keep-alive, broken peers."""

from __future__ import annotations

import contextlib
import socket
import threading

import pytest

from lightprof.measure.target.paths.client import Client


def _serve(answers: list[bytes], *, close_after: bool = False) -> tuple[int, list[bytes], threading.Thread]:
    """A one-connection server that reads one request per answer and writes that answer."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    requests: list[bytes] = []

    def run() -> None:
        conn, _ = listener.accept()
        with conn, listener:
            for answer in answers:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                requests.append(data)
                conn.sendall(answer)
            if close_after:
                conn.shutdown(socket.SHUT_WR)
            conn.settimeout(2)
            with contextlib.suppress(OSError):
                conn.recv(1)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return port, requests, thread


def test_chunked_content_length_and_interim_answers_share_one_connection() -> None:
    answers = [
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\nX-Trailer: 1\r\n\r\n",
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 3\r\n\r\nabc",
        b"HTTP/1.1 204 No Content\r\n\r\n",
        b"HTTP/1.1 500 Oops\r\ncontent-length: 0\r\n\r\n",
    ]
    port, requests, thread = _serve(answers)
    client = Client(f"http://127.0.0.1:{port}/a?b=1", timeout=5)
    statuses = [client.request("GET", None, {"User-Agent": "t"}).status for _ in range(3)]
    statuses.append(client.request("POST", b"xyz", {"Content-Type": "text/plain"}).status)
    client.close()
    thread.join(5)
    assert statuses == [200, 201, 204, 500]
    assert len(requests) == 4  # one connection carried all four
    assert requests[0].startswith(b"GET /a?b=1 HTTP/1.1\r\nHost: 127.0.0.1:")
    assert requests[3].endswith(b"Content-Type: text/plain\r\nContent-Length: 3\r\n\r\nxyz")


def test_an_answer_without_a_length_ends_with_the_connection_and_the_next_request_reconnects() -> None:
    port, _, thread = _serve([b"HTTP/1.0 200 OK\r\n\r\nbody until close"], close_after=True)
    client = Client(f"http://127.0.0.1:{port}/", timeout=5)
    assert client.request("GET", None, {}).status == 200
    thread.join(5)
    assert client._exchange is None  # closed: an answer framed by the end of the connection


def test_a_head_answer_has_no_body_even_with_a_content_length() -> None:
    port, _, thread = _serve([b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n",
                              b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"])
    client = Client(f"http://127.0.0.1:{port}/", timeout=5)
    assert [client.request("HEAD", None, {}).status, client.request("GET", None, {}).status] == [200, 200]
    client.close()
    thread.join(5)


@pytest.mark.parametrize("answer, says", [
    (b"SSH-2.0-OpenSSH_9.6\r\n\r\n", "not an HTTP/1.x status line"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "not hexadecimal"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n", "not a number"),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", "closed the connection mid-answer"),
])
def test_a_broken_answer_is_a_failed_request_that_says_why(answer: bytes, says: str) -> None:
    port, _, thread = _serve([answer], close_after=True)
    got = Client(f"http://127.0.0.1:{port}/", timeout=5).request("GET", None, {})
    thread.join(5)
    assert got.status is None and got.failure is not None and says in got.failure


def test_a_server_that_never_answers_times_out() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        got = Client(f"http://127.0.0.1:{port}/", timeout=0.3).request("GET", None, {})
    assert got.status is None and got.failure == "no answer within 0.3 s"
