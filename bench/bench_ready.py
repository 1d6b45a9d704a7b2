"""What one ready probe costs against a running server on 127.0.0.1.

    .venv/bin/python bench/bench_ready.py [--probes 500]

For each server (Python's `http.server` listing a folder, as users start it, and a Node `http`
server answering "ok"), the probes run interleaved, `--probes` times each, and the medians are
printed: lightprof's HTTP probe (reads the status line only, then closes), a GET that reads the
whole answer with `http.client` (how lightprof probed before), and the TCP connect of
`ready = { port }`. A probe's cost counts in the measured time of a server's last probe.
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from lightprof.measure.target.ready import HttpProbe, PortProbe  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def servers(folder: str) -> dict[str, Callable[[int], list[str]]]:
    found: dict[str, Callable[[int], list[str]]] = {
        "python -m http.server": lambda port: [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                                               "--directory", folder],
    }
    node = shutil.which("node")
    if node:
        script = "require('http').createServer((q, s) => s.end('ok')).listen(+process.argv[1], '127.0.0.1')"
        found["node http"] = lambda port: [node, "-e", script, str(port)]
    return found


def read_whole_answer(port: int) -> Callable[[], bool]:
    def probe() -> bool:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1.0)
        try:
            conn.request("GET", "/", headers={"Connection": "close"})
            response = conn.getresponse()
            response.read()
            return 200 <= response.status < 400
        finally:
            conn.close()

    return probe


def wait_up(port: int) -> None:
    deadline = time.monotonic() + 30
    while not PortProbe("127.0.0.1", port)():
        if time.monotonic() > deadline:
            raise SystemExit(f"no server came up on port {port}")
        time.sleep(0.05)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--probes", type=int, default=500)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for index in range(40):  # a listing of some size, as a project folder would give
            Path(folder, f"file-{index:02}.txt").write_text("x")
        print(f"{'server':<24} {'status line':>12} {'whole answer':>13} {'port connect':>13}   (median µs)")
        for label, argv_for in servers(folder).items():
            port = free_port()
            server = subprocess.Popen(argv_for(port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                      cwd=folder, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
            try:
                wait_up(port)
                probes = {
                    "status": HttpProbe(f"http://127.0.0.1:{port}/"),
                    "whole": read_whole_answer(port),
                    "port": PortProbe("127.0.0.1", port),
                }
                times: dict[str, list[float]] = {name: [] for name in probes}
                for _ in range(args.probes):
                    for name, probe in probes.items():
                        started = time.perf_counter()
                        assert probe(), f"{name} probe failed"
                        times[name].append(time.perf_counter() - started)
            finally:
                server.kill()
                server.wait()
            med = {name: statistics.median(values) * 1e6 for name, values in times.items()}
            print(f"{label:<24} {med['status']:>12.0f} {med['whole']:>13.0f} {med['port']:>13.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
