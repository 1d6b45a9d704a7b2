"""What lightprof's path client costs, against http.client and a bare socket, on the same servers.

    .venv/bin/python bench/bench_paths.py [--requests 2000] [--rounds 5]

For the Python (http.server) and Node (`http`) test servers of tests/paths_servers.py, route
/cheap, rounds of `--requests` requests rotate between lightprof's client (`run_requests`: a
prebuilt request on one kept-alive socket, `measure/target/paths/wire.py`), http.client on one
kept-alive connection, and a bare client that writes a fixed request on a socket and reads until
the answer's Content-Length is in (the floor). Printed per client: the median of the
round p50 latencies, the client's CPU per request, and the server tree's CPU per request (the
figure ops_per_cpu_s is made of), so a reader sees whether the client skews the server's figure.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from lightprof.measure.target.paths import treecpu  # noqa: E402
from lightprof.measure.target.paths.client import run_requests  # noqa: E402
from tests.paths_servers import NODE, free_port, server_command  # noqa: E402


def raw_round(port: int, requests: int) -> tuple[list[float], float]:
    """Latencies of `requests` GET /cheap on one raw kept-alive socket, and the client's CPU."""
    request = b"GET /cheap HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: raw\r\n\r\n"
    latencies = []
    cpu = time.thread_time()
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for _ in range(requests):
            start = time.perf_counter_ns()
            sock.sendall(request)
            data = b""
            while b"\r\n\r\n" not in data:
                data += sock.recv(65536)
            head, _, body = data.partition(b"\r\n\r\n")
            length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length")))
            while len(body) < length:
                body += sock.recv(65536)
            latencies.append((time.perf_counter_ns() - start) / 1e9)
    return latencies, time.thread_time() - cpu


def http_client_round(port: int, requests: int) -> tuple[list[float], float]:
    """The same on http.client (what lightprof's client used first)."""
    import http.client

    latencies = []
    cpu = time.thread_time()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.connect()
    assert conn.sock is not None
    conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    for _ in range(requests):
        start = time.perf_counter_ns()
        conn.request("GET", "/cheap", headers={"User-Agent": "http.client"})
        response = conn.getresponse()
        response.read()
        latencies.append((time.perf_counter_ns() - start) / 1e9)
    conn.close()
    return latencies, time.thread_time() - cpu


def lightprof_round(port: int, requests: int) -> tuple[list[float], float]:
    run = run_requests(f"http://127.0.0.1:{port}/cheap", "GET", None, {"User-Agent": "lightprof"},
                       requests=requests, warmup=0, concurrency=1, timeout=10, max_time=600,
                       cancel=threading.Event())
    return [a.latency_s for a in run.measured], run.client_cpu_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    kinds = ["python"] + (["node"] if NODE else [])
    with tempfile.TemporaryDirectory() as folder:
        for kind in kinds:
            port = free_port()
            proc = subprocess.Popen(server_command(Path(folder), kind, port), stdout=subprocess.DEVNULL)
            try:
                deadline = time.monotonic() + 20
                while True:
                    try:
                        socket.create_connection(("127.0.0.1", port), timeout=1).close()
                        break
                    except OSError:
                        if time.monotonic() > deadline:
                            raise SystemExit(f"{kind} server did not start") from None
                        time.sleep(0.05)
                clients = [("lightprof", lightprof_round), ("http.client", http_client_round), ("raw", raw_round)]
                figures: dict[str, list[tuple[float, float, float]]] = {name: [] for name, _ in clients}
                for round_index in range(args.rounds):
                    order = clients[round_index % 3:] + clients[:round_index % 3]
                    for name, client in order:
                        before = treecpu.cpu_s([proc.pid])
                        latencies, client_cpu = client(port, args.requests)
                        server_cpu = treecpu.delta_s(before, treecpu.cpu_s([proc.pid]))
                        figures[name].append((statistics.median(latencies), client_cpu / args.requests,
                                              server_cpu / args.requests))
                print(f"{kind} server, GET /cheap, {args.rounds} rounds of {args.requests} requests (medians):")
                for name, rows in figures.items():
                    p50 = statistics.median(r[0] for r in rows)
                    client = statistics.median(r[1] for r in rows)
                    server = statistics.median(r[2] for r in rows)
                    print(f"  {name:11}  latency p50 {p50 * 1e6:7.1f} µs · client CPU {client * 1e6:6.1f} µs/request"
                          f" · server tree CPU {server * 1e6:6.1f} µs/request ({1 / server:,.0f} ops/CPU-s)")
            finally:
                proc.kill()
                proc.wait()
    print(f"(cores: {os.cpu_count()})")


if __name__ == "__main__":
    main()
