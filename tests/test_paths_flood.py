"""A target that floods its output with 1 GB while lightprof reads its events: lightprof's own
memory stays within a few MiB of a quiet run's, and the events in the flood are all counted."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.paths_servers import free_port, left_running, profile_text

GiB = 2**30
MiB = 2**20

FLOODER = r'''
import json, os, sys
from http.server import BaseHTTPRequestHandler, HTTPServer

FLOOD = int(os.environ.get("FLOOD_BYTES", "0"))
BLOCK = (b"GET /flood 200 0.1ms a plain log line that is not json at all ........\n" * 14000)[: 1 << 20]
EVENT = json.dumps({"event": "op_latency", "op": "flood", "impl": "js", "ms": 1.5}).encode() + b"\n"

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path == "/flood":
            out = sys.stdout.buffer
            sent = 0
            blocks = 0
            while sent < FLOOD:
                out.write(BLOCK)
                sent += len(BLOCK)
                blocks += 1
                if blocks % 64 == 0:
                    out.write(EVENT)
                if blocks == 100:
                    out.write(b"x" * (8 << 20))  # one 8 MiB line, far over the line limit
            out.write(b"\n" + EVENT)
            out.flush()
            sys.stderr.write(EVENT.decode())
            sys.stderr.flush()
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

HTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
'''


def _own_peak_rss(argv: list[str], cwd: Path) -> tuple[int, int, str]:
    """(exit code, the process's own peak RSS, output): its VmHWM, read every 20 ms while it runs.

    Not GNU time's %M nor wait4's ru_maxrss: those are the largest of the process *and the
    descendants it waited for*, here the flooding server itself. VmHWM is the high-water mark of
    this one process's memory; it only grows, so the last reading before the end is its peak but
    for the last 20 ms (writing the report)."""
    proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = 0
    while proc.poll() is None:
        try:
            with open(f"/proc/{proc.pid}/status") as handle:
                for line in handle:
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]) * 1024)
        except OSError:
            pass
        time.sleep(0.02)
    output = proc.stdout.read() if proc.stdout is not None else ""
    return proc.returncode, peak, output


def _run(folder: Path, flood: int) -> tuple[int, int, str]:
    """(exit code, lightprof's own peak RSS, output) of one headless run."""
    port = free_port()
    (folder / "flooder.py").write_text(FLOODER, encoding="utf-8")
    command = [sys.executable, str(folder / "flooder.py"), str(port)]
    paths = [{"name": "flood", "url": "/flood", "requests": 1, "timeout": "120s", "max_time": "200s"}]
    profile = profile_text(command, port, paths, env={"FLOOD_BYTES": str(flood)}, telemetry={"events": True},
                           hold="0s")
    (folder / "lightprof.toml").write_text(profile, encoding="utf-8")
    return _own_peak_rss([sys.executable, "-m", "lightprof", "--headless", "--json", str(folder / "report.json")],
                         folder)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads VmHWM from /proc")
def test_a_1gb_flood_keeps_lightprof_within_a_few_mib_and_its_events_are_counted(tmp_path: Path) -> None:
    import json

    quiet_dir, flood_dir = tmp_path / "quiet", tmp_path / "flood"
    quiet_dir.mkdir()
    flood_dir.mkdir()
    code, quiet_rss, output = _run(quiet_dir, 0)
    assert code == 0, output
    code, flood_rss, output = _run(flood_dir, GiB // 2)  # two requests: the first one and the measured one
    assert code == 0, output
    report = json.loads((flood_dir / "report.json").read_text())
    target = report["targets"][0]
    summary = target["telemetry"]["summary"]
    assert summary["bytes"] > GiB and summary["too_long"] == 2
    # Per request: an event after every 64 blocks of 1 MiB, then one on stdout and one on stderr.
    events = {(e["op"], e["n"]) for e in target["events"]}
    assert events == {("flood", 2 * (512 // 64 + 2))}
    assert flood_rss - quiet_rss < 4 * MiB, (flood_rss / MiB, quiet_rss / MiB)
    print(f"lightprof peak RSS: quiet {quiet_rss / MiB:.1f} MiB, 1 GiB flood {flood_rss / MiB:.1f} MiB")
    assert not left_running(str(tmp_path))
